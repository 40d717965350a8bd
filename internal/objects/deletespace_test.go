package objects

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/kv/pebble"
)

// A bulk delete's metadata space comes back on the embedded store: the
// object layer's keys group as the store's delete compaction expects (one
// bucket's current versions share a 9-byte prefix), so DeleteObjects of a
// bucket's inline objects empties their sstables without further writes,
// and the emptied bucket lists nothing.
func TestBulkDeleteReturnsMetadataSpace(t *testing.T) {
	dir := t.TempDir()
	// As the server opens it (the usage deltas skipped), with a lower
	// MinDeletes so that the test stays cheap under the race detector.
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta"), MemTableSize: 1 << 20,
		DeleteCompaction: pebble.DeleteCompactionOptions{MinDeletes: 1000, Skip: ChurnPrefixes()}})
	if err != nil {
		t.Fatal(err)
	}
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{KV: st, Blobs: bl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); st.Close() })
	e := &env{t: t, s: s, kv: st}
	e.bucket("bulk")

	const n, size = 2000, 4096
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("obj/%05d", i)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := make([]byte, size)
			for i := w; i < n; i += 16 {
				_, _ = rand.Read(data) // incompressible
				if _, err := s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bulk", Key: keys[i],
					Body: body(t, data), Size: size}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	before := st.Stats().TableBytes
	if before < n*size/2 {
		t.Fatalf("after the PUTs, sstables hold %d bytes, want at least %d (the test needs them flushed)", before, n*size/2)
	}
	for i := 0; i < n; i += 1000 {
		ins := make([]DeleteInput, 0, 1000)
		for _, k := range keys[i:min(i+1000, n)] {
			ins = append(ins, DeleteInput{Key: k})
		}
		for j, r := range s.DeleteObjects(ctx, tenant, "bulk", ins) {
			if r.Err != nil {
				t.Fatalf("delete %s: %v", ins[j].Key, r.Err)
			}
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := st.Stats().TableBytes
		if got < before/10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("60 s after deleting %d objects, sstables hold %d bytes (were %d)", n, got, before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := s.ListObjects(ctx, ListInput{Tenant: tenant, Bucket: "bulk", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Objects) != 0 {
		t.Fatalf("the emptied bucket lists %d objects", len(out.Objects))
	}
}
