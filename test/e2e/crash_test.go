package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// crashClient talks to a private server without retries, so that "acked"
// means exactly one successful response.
func crashClient(t *testing.T, srv *cofferServer) *s3.Client {
	return newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
}

func readAll(ctx context.Context, c *s3.Client, b, key string) ([]byte, string, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		return nil, "", err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	return data, aws.ToString(out.ETag), err
}

func TestCrash_kill9DuringConcurrentPuts(t *testing.T) {
	t.Parallel()
	srv := startPrivateCoffer(t)
	c := crashClient(t, srv)
	ctx := context.Background()
	b := "e2e-crash-puts-" + randHex(8)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	var mu sync.Mutex
	attempted := map[string]string{} // key -> md5 of the body sent
	acked := map[string]string{}
	stop := make(chan struct{}) // closed just before the kill
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d/obj-%05d", w, i)
				body := randBytes(1 + rand.IntN(2<<20))
				sum := md5hex(body)
				mu.Lock()
				attempted[key] = sum
				mu.Unlock()
				rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				_, err := c.PutObject(rctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body)})
				cancel()
				if err != nil {
					select {
					case <-stop:
					default:
						t.Errorf("PutObject %s before the kill: %v", key, err)
					}
					return
				}
				mu.Lock()
				acked[key] = sum
				mu.Unlock()
			}
		}()
	}
	// Kill after 2 s of load, and after at least a few acknowledged PUTs (a
	// loaded machine may need longer for them), bounded at 60 s.
	time.Sleep(2 * time.Second)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 8 {
			break
		}
	}
	close(stop)
	srv.Kill9()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if len(acked) == 0 {
		t.Fatalf("no PUT was acknowledged before the kill")
	}
	t.Logf("killed with %d acknowledged and %d attempted PUTs", len(acked), len(attempted))

	if err := srv.Restart(); err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	c = crashClient(t, srv)
	for key, sum := range acked {
		data, etag, err := readAll(ctx, c, b, key)
		if err != nil {
			t.Fatalf("acknowledged object %s lost after crash: %v", key, err)
		}
		if md5hex(data) != sum || etag != `"`+sum+`"` {
			t.Fatalf("acknowledged object %s corrupted after crash: md5 %s etag %s, want %s", key, md5hex(data), etag, sum)
		}
	}
	// Everything visible is complete: no torn or half-written objects.
	var token *string
	visible := 0
	for {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), ContinuationToken: token})
		if err != nil {
			t.Fatalf("ListObjectsV2 after restart: %v", err)
		}
		for _, o := range out.Contents {
			key := aws.ToString(o.Key)
			visible++
			sum, ok := attempted[key]
			if !ok {
				t.Fatalf("listing after crash shows a key that was never written: %q", key)
			}
			data, _, err := readAll(ctx, c, b, key)
			if err != nil {
				t.Fatalf("listed object %s unreadable after crash: %v", key, err)
			}
			if md5hex(data) != sum || int64(len(data)) != aws.ToInt64(o.Size) {
				t.Fatalf("listed object %s is torn: %d bytes (listing says %d), md5 %s, want %s", key, len(data), aws.ToInt64(o.Size), md5hex(data), sum)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		token = out.NextContinuationToken
	}
	if visible < len(acked) {
		t.Fatalf("listing after crash shows %d objects, fewer than the %d acknowledged", visible, len(acked))
	}
	// Unacknowledged keys that are not listed must not be readable either.
	for key, sum := range attempted {
		if _, ok := acked[key]; ok {
			continue
		}
		data, _, err := readAll(ctx, c, b, key)
		if err == nil && md5hex(data) != sum {
			t.Fatalf("unacknowledged object %s reads back torn (%d bytes)", key, len(data))
		}
	}
}

func TestCrash_kill9DuringCompleteMultipartUpload(t *testing.T) {
	t.Parallel()
	srv := startPrivateCoffer(t)
	c := crashClient(t, srv)
	ctx := context.Background()
	b := "e2e-crash-mpu-" + randHex(8)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	type upload struct {
		key, id string
		parts   [][]byte
		done    []types.CompletedPart
		want    []byte
	}
	var ups []*upload
	for i := 0; i < 6; i++ {
		u := &upload{key: fmt.Sprintf("mpu-%d", i), parts: [][]byte{randBytes(5 << 20), randBytes(64<<10 + i)}}
		u.want = bytes.Join(u.parts, nil)
		u.id = createUpload(t, c, b, u.key)
		u.done = uploadParts(t, c, b, u.key, u.id, u.parts, "", 2)
		ups = append(ups, u)
	}
	complete := func(c *s3.Client, u *upload) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(u.key),
			UploadId: aws.String(u.id), MultipartUpload: &types.CompletedMultipartUpload{Parts: u.done}})
		return err
	}
	ackd := make([]bool, len(ups))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, u := range ups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			time.Sleep(time.Duration(i) * 3 * time.Millisecond) // spread across the kill
			ackd[i] = complete(c, u) == nil
		}()
	}
	close(start)
	time.Sleep(8 * time.Millisecond)
	srv.Kill9()
	wg.Wait()
	if err := srv.Restart(); err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	c = crashClient(t, srv)
	for i, u := range ups {
		data, etag, err := readAll(ctx, c, b, u.key)
		switch {
		case err == nil:
			if sha256sum(data) != sha256sum(u.want) || etag != multipartETag(u.parts) {
				t.Fatalf("%s after crash: %d bytes etag %s, want %d bytes etag %s (torn multipart object)", u.key, len(data), etag, len(u.want), multipartETag(u.parts))
			}
		case ackd[i]:
			t.Fatalf("%s: CompleteMultipartUpload was acknowledged but the object is gone after crash: %v", u.key, err)
		default:
			// Not completed: the upload and its acknowledged parts must have
			// survived, so completing again works.
			if err := complete(c, u); err != nil {
				t.Fatalf("%s: re-completing an interrupted upload after restart: %v", u.key, err)
			}
			data, _, err := readAll(ctx, c, b, u.key)
			if err != nil || sha256sum(data) != sha256sum(u.want) {
				t.Fatalf("%s after re-complete: err=%v, %d bytes, want %d", u.key, err, len(data), len(u.want))
			}
		}
	}
	t.Logf("acknowledged completions before the kill: %v", ackd)
}
