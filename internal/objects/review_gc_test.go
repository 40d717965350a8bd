package objects

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"coffer/internal/blob"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
)

// walSyncGate holds every WAL sync while closed: commits are applied (and
// visible to readers) but not durable, as in the milliseconds before a
// group commit's fsync completes.
type walSyncGate struct {
	mu     sync.Mutex
	closed bool
	open   chan struct{}
}

func (g *walSyncGate) String() string { return "walSyncGate" }

func (g *walSyncGate) MaybeError(op errorfs.Op) error {
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
	default:
		return nil
	}
	if !strings.HasSuffix(op.Path, ".log") {
		return nil
	}
	g.mu.Lock()
	closed, ch := g.closed, g.open
	g.mu.Unlock()
	if closed {
		<-ch
	}
	return nil
}

func (g *walSyncGate) close() {
	g.mu.Lock()
	g.closed, g.open = true, make(chan struct{})
	g.mu.Unlock()
}

func (g *walSyncGate) release() {
	g.mu.Lock()
	if g.closed {
		g.closed = false
		close(g.open)
	}
	g.mu.Unlock()
}

// The collector must never delete the blob of a version on the strength of
// a commit that is visible but not yet durable: a power cut before that
// commit's WAL sync brings the version back, and its data must be there.
func TestReviewGCActsOnlyOnDurableCommits(t *testing.T) {
	mfs := vfs.NewCrashableMem()
	gate := &walSyncGate{}
	st, err := pebble.Open(pebble.Options{Dir: "/meta", FS: errorfs.Wrap(mfs, gate)})
	if err != nil {
		t.Fatal(err)
	}
	blobDir := filepath.Join(t.TempDir(), "data")
	bl, err := blob.Open(blob.Options{Dir: blobDir})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{KV: st, Blobs: bl, InlineMax: 10, GCInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer func() {
		gate.release()
		wg.Wait()
		s.Close()
		st.Close()
	}()
	if _, err := s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: "gcb"}); err != nil {
		t.Fatal(err)
	}
	old := bytes.Repeat([]byte("o"), 100)
	if _, err := s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "gcb", Key: "k", Body: body(t, old), Size: int64(len(old))}); err != nil {
		t.Fatal(err)
	}

	// An overwrite whose commit is applied but whose WAL sync hangs.
	gate.close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		nw := bytes.Repeat([]byte("n"), 100)
		s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "gcb", Key: "k", Body: body(t, nw), Size: int64(len(nw))})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		queued := false
		st.View(ctx, func(tx kv.Reader) error {
			p := []byte{nsGarbage}
			it := tx.NewIterator(p, kv.PrefixEnd(p))
			defer it.Close()
			queued = it.First()
			return nil
		})
		if queued {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the overwrite never became visible")
		}
		time.Sleep(time.Millisecond)
	}
	// The collector runs meanwhile (kicked by any other write, or its timer).
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.CollectGarbage(ctx)
	}()
	time.Sleep(300 * time.Millisecond)

	// Power cut: only what was synced survives.
	crashed := mfs.CrashClone(vfs.CrashCloneCfg{})
	st2, err := pebble.Open(pebble.Options{Dir: "/meta", FS: crashed})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	bl2, err := blob.Open(blob.Options{Dir: blobDir})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(Options{KV: st2, Blobs: bl2, InlineMax: 10, GCInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	out, err := s2.GetObject(ctx, GetInput{Tenant: tenant, Bucket: "gcb", Key: "k"})
	if err != nil {
		t.Fatalf("the acknowledged version is unreadable after the power cut: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, old) {
		t.Fatalf("after the power cut read %q, %v; want the acknowledged %q", got, err, old)
	}
}
