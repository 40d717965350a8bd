package objects

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/blob"
	"coffer/internal/errs"
	"coffer/internal/kv/pebble"
)

// TestPowerCut runs concurrent writers (inline objects, blob objects and
// multipart completions), cuts the power at a random moment by keeping only
// what was synced, reopens, sweeps, and checks that every acknowledged
// object reads back byte-identical and nothing else is visible.
//
// The metadata store's snapshot is taken first and the blob store's after
// it: every blob a committed record references was durable before that
// commit, so it is in the later blob snapshot too, just as in a real
// (atomic) power cut. Writers only create new keys, so no blob is retired
// between the two snapshots.
func TestPowerCut(t *testing.T) {
	for round := 0; round < 3; round++ {
		t.Run(fmt.Sprint(round), func(t *testing.T) { powerCutRound(t, uint64(round)) })
	}
}

func openCrashable(t *testing.T, mfs *vfs.MemFS, bfs *blob.CrashFS) (*Service, *pebble.Store) {
	t.Helper()
	st, err := pebble.Open(pebble.Options{Dir: "/meta", FS: mfs})
	if err != nil {
		t.Fatal(err)
	}
	bl, err := blob.Open(blob.Options{Dir: "/data", FS: bfs})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{KV: st, Blobs: bl, InlineMax: 256, MinPartSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func powerCutRound(t *testing.T, seed uint64) {
	mfs := vfs.NewCrashableMem()
	bfs := blob.NewCrashFS()
	s, st := openCrashable(t, mfs, bfs)
	if _, err := s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: "pcut"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string][]byte{}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := 0; !stop.Load(); i++ {
				key := fmt.Sprintf("w%d/%d", w, i)
				data := make([]byte, []int{10, 200, 3000, 70000}[rng.IntN(4)])
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				var err error
				if rng.IntN(5) == 0 {
					err = multipartPut(s, key, data)
				} else {
					_, err = s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "pcut", Key: key, Body: body(t, data), Size: int64(len(data))})
				}
				if err != nil {
					return // the store is being torn down under us
				}
				mu.Lock()
				acked[key] = data
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(time.Duration(200+rand.IntN(300)) * time.Millisecond)
	mu.Lock()
	snapshot := make(map[string][]byte, len(acked))
	for k, v := range acked {
		snapshot[k] = v
	}
	mu.Unlock()
	crashedMeta := mfs.CrashClone(vfs.CrashCloneCfg{})
	crashedBlobs := bfs.Crash()
	stop.Store(true)
	wg.Wait()
	s.Close()
	st.Close()
	if len(snapshot) == 0 {
		t.Fatal("no write was acknowledged before the cut")
	}

	s2, st2 := openCrashable(t, crashedMeta, crashedBlobs)
	defer st2.Close()
	defer s2.Close()
	res, err := s2.Sweep(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range snapshot {
		out, err := s2.GetObject(ctx, GetInput{Tenant: tenant, Bucket: "pcut", Key: k})
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", k, err)
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("acknowledged %s differs after the cut (%v)", k, err)
		}
	}
	// Everything listed reads back whole and matches its ETag.
	list, err := s2.ListObjects(ctx, ListInput{Tenant: tenant, Bucket: "pcut", MaxKeys: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Objects {
		out, err := s2.GetObject(ctx, GetInput{Tenant: tenant, Bucket: "pcut", Key: o.Key})
		if err != nil {
			t.Fatalf("listed %s unreadable: %v", o.Key, err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(out.Body)
		out.Body.Close()
		if int64(buf.Len()) != o.Size || !strings.Contains(o.ETag, "-") && md5hex(buf.Bytes()) != o.ETag {
			t.Fatalf("listed %s torn: %d bytes of %d", o.Key, buf.Len(), o.Size)
		}
	}
	// No unreferenced blob survives the sweep.
	n := 0
	s2.blobs.Walk(func(b blob.BlobInfo) error {
		n++
		return nil
	})
	refs := 0
	for _, o := range list.Objects {
		if _, n, multipart := strings.Cut(o.ETag, "-"); multipart {
			parts, _ := strconv.Atoi(n)
			refs += parts
		} else if o.Size > 256 {
			refs++
		}
	}
	uploads, _ := s2.ListMultipartUploads(ctx, ListUploadsInput{Tenant: tenant, Bucket: "pcut"})
	for _, u := range uploads.Uploads {
		parts, _ := s2.ListParts(ctx, ListPartsInput{Tenant: tenant, Bucket: "pcut", Key: u.Key, UploadID: u.UploadID})
		refs += len(parts.Parts)
	}
	if n != refs {
		t.Fatalf("%d blobs on disk, %d referenced (sweep removed %d orphans)", n, refs, res.Orphans)
	}
	t.Logf("acked %d, listed %d, orphans swept %d", len(snapshot), len(list.Objects), res.Orphans)
}

func multipartPut(s *Service, key string, data []byte) error {
	up, err := s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "pcut", Key: key})
	if err != nil {
		return err
	}
	half := len(data) / 2
	var parts []CompletedPart
	for i, chunk := range [][]byte{data[:half], data[half:]} {
		r, err := newBody(chunk)
		if err != nil {
			return err
		}
		p, err := s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "pcut", Key: key, UploadID: up.UploadID, PartNumber: i + 1, Body: r, Size: int64(len(chunk))})
		if err != nil {
			return err
		}
		parts = append(parts, CompletedPart{Number: i + 1, ETag: p.ETag})
	}
	_, err = s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "pcut", Key: key, UploadID: up.UploadID, Parts: parts})
	if errors.Is(err, errs.EntityTooSmall) {
		panic(err)
	}
	return err
}
