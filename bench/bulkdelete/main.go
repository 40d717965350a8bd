// Command bulkdelete reproduces the memory and disk measurements of issue 12:
// it writes N objects with the AWS SDK for Go v2 (as warp's prefill does),
// then deletes them all with DeleteObjects of 1000 keys per request (as
// minio-go's RemoveObjects, which warp's cleanup uses, does), while sampling
// the server's VmRSS and VmHWM from /proc. With -data-dir it also reports the
// size of the blob directory after the writes and how long after the last
// delete it took for the space to come back.
//
//	go run ./bench/bulkdelete -endpoint http://127.0.0.1:9000 -pid PID -data-dir DIR
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"coffer/internal/loadgen"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9000", "S3 endpoint")
	bucket := flag.String("bucket", fmt.Sprintf("bulkdel-%d", time.Now().UnixNano()), "bucket (created)")
	n := flag.Int("objects", 60000, "objects to write, then delete")
	size := flag.Int("size", 4096, "object size in bytes")
	clients := flag.Int("clients", 16, "concurrent PUT clients")
	delClients := flag.Int("delete-clients", 1, "concurrent DeleteObjects clients")
	pid := flag.Int("pid", 0, "server process to sample VmRSS/VmHWM from")
	dataDir := flag.String("data-dir", "", "server data directory: report blob space and how fast deletes return it")
	wait := flag.Duration("reclaim-timeout", 5*time.Minute, "how long to wait for deleted space to come back")
	flag.Parse()
	ak, sk := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if ak == "" || sk == "" {
		log.Fatal("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	ctx := context.Background()
	cl := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: endpoint,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(ak, sk, ""),
	})
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		log.Fatalf("create bucket: %v", err)
	}
	smp := startSampler(*pid)
	body := make([]byte, *size)
	_, _ = rand.Read(body)
	key := func(i int) string { return fmt.Sprintf("obj/%02d/%08d", i%97, i) }

	t0 := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				_, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key(i)), Body: bytes.NewReader(body)})
				if err != nil {
					log.Fatalf("put %s: %v", key(i), err)
				}
			}
		}()
	}
	wg.Wait()
	putTook := time.Since(t0)
	putRSS := smp.phase()
	blobBytes := dirSize(*dataDir)
	fmt.Printf("put: %d objects of %d B in %.1fs (%.0f ops/s); server VmRSS max %.1f MiB; blob dir %.1f MiB\n",
		*n, *size, putTook.Seconds(), float64(*n)/putTook.Seconds(), putRSS, mib(blobBytes))

	t0 = time.Now()
	next.Store(0)
	for range *delClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(1000) - 1000)
				if start >= *n {
					return
				}
				var ids []types.ObjectIdentifier
				for i := start; i < min(start+1000, *n); i++ {
					ids = append(ids, types.ObjectIdentifier{Key: aws.String(key(i))})
				}
				out, err := cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket,
					Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
				if err != nil {
					log.Fatalf("delete objects: %v", err)
				}
				if len(out.Errors) > 0 {
					log.Fatalf("delete objects: %d errors, first %s: %s", len(out.Errors), aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Message))
				}
			}
		}()
	}
	wg.Wait()
	delTook := time.Since(t0)
	delRSS := smp.phase()
	fmt.Printf("delete: %d objects, DeleteObjects of 1000 keys, %d clients, in %.1fs (%.0f keys/s); server VmRSS max %.1f MiB\n",
		*n, *delClients, delTook.Seconds(), float64(*n)/delTook.Seconds(), delRSS)

	if *dataDir != "" && blobBytes > 0 {
		t0 = time.Now()
		left := dirSize(*dataDir)
		for left > blobBytes/100 && time.Since(t0) < *wait {
			time.Sleep(100 * time.Millisecond)
			left = dirSize(*dataDir)
		}
		fmt.Printf("reclaim: blob dir %.1f MiB -> %.1f MiB, %.1fs after the last delete\n", mib(blobBytes), mib(left), time.Since(t0).Seconds())
	}
	if *pid > 0 {
		_, hwm, err := loadgen.ProcMemory(*pid)
		if err == nil {
			fmt.Printf("server VmHWM %.1f MiB\n", float64(hwm)/1024)
		}
	}
	smp.close()
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load average %s", la)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// dirSize is the disk usage (allocated blocks) of the blob files under dir.
func dirSize(dir string) int64 {
	if dir == "" {
		return 0
	}
	var total int64
	_ = filepath.WalkDir(filepath.Join(dir, "data"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			total += fi.Size()
		}
		return nil
	})
	return total
}

// sampler records the largest VmRSS of pid per phase.
type sampler struct {
	pid  int
	mu   sync.Mutex
	max  int64
	done chan struct{}
}

func startSampler(pid int) *sampler {
	s := &sampler{pid: pid, done: make(chan struct{})}
	if pid <= 0 {
		return s
	}
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				if rss, _, err := loadgen.ProcMemory(pid); err == nil {
					s.mu.Lock()
					s.max = max(s.max, rss)
					s.mu.Unlock()
				}
			}
		}
	}()
	return s
}

// phase returns the largest VmRSS (MiB) since the previous call.
func (s *sampler) phase() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.max
	s.max = 0
	return float64(m) / 1024
}

func (s *sampler) close() { close(s.done) }
