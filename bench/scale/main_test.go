package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coffer/internal/objects"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestShortRun runs the scale check at a small size, so that the program
// (the fill, every measured operation and their checks) cannot rot while
// the 10-million-object run is not in CI.
func TestShortRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := Config{Dir: dir, Objects: 3000, Checkpoints: []int{500, 3000, 99999}, Dirs: 50, BodySize: 40,
		Concurrency: 16, Samples: 50, ListSamples: 5, Seed: 7, FoldEvery: 1000, PassObjects: 700}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checkpoints) != 2 || rep.Checkpoints[0].Objects != 500 || rep.Checkpoints[1].Objects != 3000 ||
		rep.Checkpoints[0].Passes != 1 || rep.Checkpoints[1].Passes != 4 {
		t.Fatalf("checkpoints %+v, want 500 and 3000 (sizes above -objects dropped)", rep.Checkpoints)
	}
	wantOps := []string{"list-first", "list-middle", "list-delim", "head", "get"}
	for _, cp := range rep.Checkpoints {
		if len(cp.Ops) != len(wantOps) {
			t.Fatalf("at %d: %d operations measured, want %d", cp.Objects, len(cp.Ops), len(wantOps))
		}
		for i, l := range cp.Ops {
			if l.Op != wantOps[i] || l.P50us <= 0 || l.P99us < l.P50us || l.MaxUs < l.P99us {
				t.Errorf("at %d: %+v", cp.Objects, l)
			}
		}
		if cp.Ops[0].Items != 1000 && cp.Objects >= 1000 {
			t.Errorf("at %d: the first page held %v entries, want 1000", cp.Objects, cp.Ops[0].Items)
		}
		if cp.MetaBytes <= 0 || cp.PutRate <= 0 {
			t.Errorf("at %d: meta %d bytes, fill rate %v", cp.Objects, cp.MetaBytes, cp.PutRate)
		}
	}
	// The delimiter listing rolls each directory up: 50 of them.
	if got := rep.Checkpoints[1].Ops[2].Items; got != 50 {
		t.Errorf("delimiter listing: %v entries, want 50", got)
	}

	// The bucket holds exactly the objects put, with their contents, and
	// the fold left the usage right.
	if rep.FillSync || rep.Checkpoints[0].ReopenSeconds <= 0 {
		t.Errorf("fill synced %v, reopened in %v s: want the default, an unsynced fill and a reopen", rep.FillSync, rep.Checkpoints[0].ReopenSeconds)
	}
	e, err := open(storeOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	ctx := context.Background()
	seen := map[string]bool{}
	for after := ""; ; {
		out, err := e.svc.ListObjects(ctx, objects.ListInput{Tenant: tenant, Bucket: bucketName, After: after, MaxKeys: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Objects {
			seen[o.Key] = true
		}
		if !out.IsTruncated {
			break
		}
		after = out.NextAfter
	}
	if len(seen) != cfg.Objects {
		t.Fatalf("bucket lists %d objects, want %d", len(seen), cfg.Objects)
	}
	for _, i := range []int{0, 1234, cfg.Objects - 1} {
		k := objectKey(i, cfg.Dirs)
		if !seen[k] || !strings.Contains(k, "/") {
			t.Errorf("object %d (%q) missing", i, k)
		}
	}
	b, err := e.svc.GetBucket(ctx, tenant, bucketName)
	if err != nil {
		t.Fatal(err)
	}
	if b.Objects != int64(cfg.Objects) || b.UsedBytes != int64(cfg.Objects*cfg.BodySize) {
		t.Errorf("bucket usage %d objects, %d bytes; want %d, %d", b.Objects, b.UsedBytes, cfg.Objects, cfg.Objects*cfg.BodySize)
	}

	var md bytes.Buffer
	rep.Markdown(&md)
	if n := strings.Count(md.String(), "\n"); n != 2+2*len(wantOps) {
		t.Errorf("markdown has %d lines:\n%s", n, md.String())
	}
}

// TestStop: closing Stop ends the fill early and the run measures at the
// size reached.
func TestStop(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	rep, err := Run(context.Background(), Config{Dir: filepath.Join(t.TempDir(), "d"), Objects: 1000000, Checkpoints: []int{100},
		Dirs: 10, BodySize: 8, Concurrency: 4, Samples: 5, ListSamples: 2, PassObjects: 1000, Stop: stop})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checkpoints) != 1 || !rep.Checkpoints[0].Stopped || rep.Checkpoints[0].Objects != 0 || rep.Checkpoints[0].Ops != nil {
		t.Fatalf("checkpoints %+v, want one, stopped at 0 objects, nothing measured", rep.Checkpoints)
	}
}

func TestRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Config{Dir: dir, Objects: 10, Dirs: 1, BodySize: 1, Concurrency: 1, Samples: 1, ListSamples: 1, PassObjects: 1})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("err %v, want a refusal", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "x")); err != nil || string(b) != "keep me" {
		t.Fatalf("the file was touched: %q %v", b, err)
	}
}

// settle returns once the process is idle, and never waits past its limit.
func TestSettle(t *testing.T) {
	if d := settle(0); d > 100*time.Millisecond {
		t.Errorf("settle(0) waited %v", d)
	}
	d := settle(20 * time.Second)
	if d < 500*time.Millisecond || d > 10*time.Second {
		t.Errorf("settle of an idle process took %v, want two quiet quarter seconds", d)
	}
}

// TestMeasuredStoreDurable: whether the fill waited for its fsyncs or not,
// every measurement runs on a store with the server's durability (no
// NoSync) holding every object put so far on disk: a power cut just before
// the measurement (keeping none of the unsynced writes) loses none of them.
func TestMeasuredStoreDurable(t *testing.T) {
	for _, fillSync := range []bool{false, true} {
		t.Run(fmt.Sprintf("fill-sync=%v", fillSync), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			fs := vfs.NewCrashableMem()
			var measured []int
			cfg := Config{Dir: dir, Objects: 1200, Checkpoints: []int{300}, Dirs: 20, BodySize: 16,
				Concurrency: 8, Samples: 20, ListSamples: 3, Seed: 3, FoldEvery: 500, PassObjects: 100, FillSync: fillSync, metaFS: fs,
				beforeMeasure: func(n int, e *env) error {
					measured = append(measured, n)
					if e.kv.Config().NoSync {
						return fmt.Errorf("at %d objects: measuring a NoSync store", n)
					}
					c, err := open(storeOptions{Dir: dir, MetaFS: fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})})
					if err != nil {
						return err
					}
					defer c.close()
					got, err := countObjects(t.Context(), c.svc)
					if err != nil {
						return err
					}
					if got != n {
						return fmt.Errorf("after a power cut at %d objects, %d are left", n, got)
					}
					return nil
				}}
			rep, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(measured, []int{300, 1200}) || len(rep.Checkpoints) != 2 {
				t.Fatalf("measured at %v (%d checkpoints), want 300 and 1200", measured, len(rep.Checkpoints))
			}
			for _, cp := range rep.Checkpoints {
				if reopened := cp.ReopenSeconds > 0; reopened == fillSync {
					t.Errorf("at %d: reopened in %v s with fill-sync %v", cp.Objects, cp.ReopenSeconds, fillSync)
				}
				if len(cp.Ops) != 5 {
					t.Errorf("at %d: %d operations measured", cp.Objects, len(cp.Ops))
				}
			}
		})
	}
}

// countObjects lists the whole bucket.
func countObjects(ctx context.Context, svc *objects.Service) (int, error) {
	n := 0
	for after := ""; ; {
		out, err := svc.ListObjects(ctx, objects.ListInput{Tenant: tenant, Bucket: bucketName, After: after, MaxKeys: 1000})
		if err != nil {
			return 0, err
		}
		n += len(out.Objects)
		if !out.IsTruncated {
			return n, nil
		}
		after = out.NextAfter
	}
}

// TestStopBetweenSlices: a fill stopped in the middle of a segment ends
// after a slice of the key space, and the run measures the objects present
// (every sampled key must exist, and the count is the bucket's).
func TestStopBetweenSlices(t *testing.T) {
	stop := make(chan struct{})
	dir := filepath.Join(t.TempDir(), "d")
	listed := -1
	cfg := Config{Dir: dir, Objects: 1000000, Dirs: 50, BodySize: 8, Concurrency: 4, Samples: 50, ListSamples: 3,
		PassObjects: 20000, FoldEvery: 2000, Stop: stop,
		beforeMeasure: func(n int, e *env) error {
			var err error
			listed, err = countObjects(t.Context(), e.svc)
			return err
		}}
	go func() {
		// Stop once the fill is under way (the third slice or so).
		time.Sleep(2 * time.Second)
		close(stop)
	}()
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checkpoints) != 1 {
		t.Fatalf("%d checkpoints, want 1", len(rep.Checkpoints))
	}
	cp := rep.Checkpoints[0]
	if !cp.Stopped || cp.Passes < 1 || cp.Passes >= 50 || cp.Objects <= 0 || cp.Objects >= cfg.Objects {
		t.Fatalf("stopped %v after %d of 50 slices at %d objects; want a stop after some slices", cp.Stopped, cp.Passes, cp.Objects)
	}
	if listed != cp.Objects {
		t.Errorf("the bucket lists %d objects, the report says %d", listed, cp.Objects)
	}
	if len(cp.Ops) != 5 {
		t.Errorf("%d operations measured, want 5", len(cp.Ops))
	}
	// Whole slices: about PassObjects each.
	if per := cp.Objects / cp.Passes; per < 15000 || per > 25000 {
		t.Errorf("%d objects in %d slices", cp.Objects, cp.Passes)
	}
}
