package objects

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
)

// quiet stops the background collector's passes and folds, whose commits
// would be counted with the deletes'.
func (e *env) quiet() *env {
	e.s.SetCollectorGate(func() bool { return false })
	return e
}

// commits returns the Pebble store's commit count, or -1 on another store.
func (e *env) commits() int64 {
	if ps, ok := e.kv.(*pebble.Store); ok {
		return int64(ps.Stats().Commits)
	}
	return -1
}

// Each key of a DeleteObjects gets the outcome a DeleteObject of it would
// have: locked versions are refused one by one, a missing key or version
// succeeds, an invalid version id or a failed precondition is that key's
// error, and the keys allowed are all deleted, in one commit.
func TestDeleteObjects_perKeyOutcomes(t *testing.T) {
	e, clk := lockEnv(t)
	e.quiet()
	e.lockBucket("worm", ObjectLockConfig{})
	until := clk.now().Add(48 * time.Hour)
	plain := e.put("worm", "plain", []byte("plain"))
	comp := e.putLocked("worm", "comp", LockSpec{Mode: LockCompliance, RetainUntil: until})
	gov := e.putLocked("worm", "gov", LockSpec{Mode: LockGovernance, RetainUntil: until})
	held := e.putLocked("worm", "held", LockSpec{LegalHold: LegalHoldOn})
	absentVID := newVersionID(e.s.nextSeq(0))

	ins := []DeleteInput{
		0:  {Key: "plain"},                                                   // a delete marker
		1:  {Key: "comp", VersionID: comp.VersionID},                         // locked
		2:  {Key: "gov", VersionID: gov.VersionID},                           // locked without bypass
		3:  {Key: "gov", VersionID: gov.VersionID, BypassGovernance: true},   // removed
		4:  {Key: "held", VersionID: held.VersionID, BypassGovernance: true}, // a hold never yields
		5:  {Key: "missing"},                                                 // a marker for a missing key
		6:  {Key: "missing", VersionID: absentVID},                           // no such version: success
		7:  {Key: "plain", VersionID: "not-a-version"},                       // invalid id
		8:  {Key: "plain"},                                                   // a second marker
		9:  {Key: "comp", IfMatch: `"0123"`},                                 // precondition failed
		10: {Key: "comp"},                                                    // a marker over a locked version
		11: {Key: "plain", VersionID: plain.VersionID},                       // the version under the markers
	}
	before := e.commits()
	res := e.s.DeleteObjects(ctx, tenant, "worm", ins)
	if n := e.commits() - before; before >= 0 && n != 1 {
		t.Errorf("DeleteObjects of %d keys made %d commits, want 1", len(ins), n)
	}
	if len(res) != len(ins) {
		t.Fatalf("%d results for %d keys", len(res), len(ins))
	}
	locked := func(i int) {
		t.Helper()
		if !errors.Is(res[i].Err, ErrObjectLocked) {
			t.Errorf("key %d (%s): %+v, want locked", i, ins[i].Key, res[i])
		}
	}
	marker := func(i int) {
		t.Helper()
		if res[i].Err != nil || !res[i].DeleteMarker || res[i].VersionID == "" {
			t.Errorf("key %d (%s): %+v, want a delete marker", i, ins[i].Key, res[i])
		}
	}
	removed := func(i int, dm bool) {
		t.Helper()
		if res[i].Err != nil || res[i].DeleteMarker != dm || res[i].VersionID != ins[i].VersionID {
			t.Errorf("key %d (%s): %+v, want version %s removed", i, ins[i].Key, res[i], ins[i].VersionID)
		}
	}
	marker(0)
	locked(1)
	locked(2)
	removed(3, false)
	locked(4)
	marker(5)
	removed(6, false)
	if !errors.Is(res[7].Err, errs.InvalidArgument) {
		t.Errorf("invalid version id: %+v", res[7])
	}
	marker(8)
	if res[8].VersionID == res[0].VersionID {
		t.Errorf("the second marker has the first's version id %s", res[0].VersionID)
	}
	if !errors.Is(res[9].Err, errs.PreconditionFailed) {
		t.Errorf("If-Match mismatch: %+v", res[9])
	}
	marker(10)
	removed(11, false)

	// What is left: per key, newest first.
	lv, err := e.s.ListObjectVersions(ctx, ListVersionsInput{Tenant: tenant, Bucket: "worm", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range lv.Versions {
		got = append(got, fmt.Sprintf("%s:%s:%v", v.Key, v.VersionID, v.DeleteMarker))
	}
	want := []string{
		"comp:" + res[10].VersionID + ":true", "comp:" + comp.VersionID + ":false",
		"held:" + held.VersionID + ":false",
		"missing:" + res[5].VersionID + ":true",
		"plain:" + res[8].VersionID + ":true", "plain:" + res[0].VersionID + ":true",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("versions left\n got %v\nwant %v", got, want)
	}
	// The usage charged once for the batch is what is left.
	b, err := e.s.GetBucket(ctx, tenant, "worm")
	if err != nil {
		t.Fatal(err)
	}
	var bytesLeft int64
	for _, v := range lv.Versions {
		bytesLeft += v.Size
	}
	if b.Objects != int64(len(want)) || b.UsedBytes != bytesLeft {
		t.Errorf("usage %d objects %d bytes, want %d and %d", b.Objects, b.UsedBytes, len(want), bytesLeft)
	}
}

// A bucket that does not exist is every key's NoSuchBucket.
func TestDeleteObjects_noBucket(t *testing.T) {
	e := newEnv(t, nil)
	res := e.s.DeleteObjects(ctx, tenant, "nope", []DeleteInput{{Key: "a"}, {Key: "b"}})
	for i, r := range res {
		if !errors.Is(r.Err, errs.NoSuchBucket) {
			t.Errorf("key %d: %+v, want NoSuchBucket", i, r)
		}
	}
}

// DeleteObjects and DeleteObject one key after another leave the same
// objects, versions, usage and answers, in every versioning state, over
// random keys with several versions, inline and blob data, named twice or
// by version; in batches of 7 keys, so that batches follow one another.
func TestDeleteObjects_sameAsOneByOne(t *testing.T) {
	for si, state := range []VersioningState{VersioningUnset, VersioningEnabled, VersioningSuspended} {
		t.Run(fmt.Sprint("versioning=", state), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(si)+1, 7))
			many := newEnv(t, func(o *Options) { o.DeleteBatch = 7; o.InlineMax = 1024 }).quiet()
			one := newEnv(t, func(o *Options) { o.InlineMax = 1024 }).quiet()
			type put struct {
				key  string
				size int
				set  VersioningState // versioning before this put
			}
			var puts []put
			for i := range 40 {
				set := state
				if state == VersioningSuspended && i < 20 {
					set = VersioningEnabled // versions from before the suspension, then null ones
				}
				puts = append(puts, put{key: fmt.Sprintf("k%02d", rng.IntN(12)), size: []int{10, 3000}[rng.IntN(2)], set: set})
			}
			// versions[key] lists each key's version ids, oldest first, per env.
			versions := map[*env]map[string][]string{}
			for _, e := range []*env{many, one} {
				e.bucket("bkt")
				versions[e] = map[string][]string{}
				cur := VersioningUnset
				for _, p := range puts {
					if p.set != cur {
						if err := e.s.SetVersioning(ctx, tenant, "bkt", p.set); err != nil {
							t.Fatal(err)
						}
						cur = p.set
					}
					info := e.put("bkt", p.key, bytes.Repeat([]byte{'x'}, p.size))
					versions[e][p.key] = append(versions[e][p.key], info.VersionID)
				}
			}
			// The deletes: a key (possibly missing), or its n-th version.
			type del struct {
				key string
				nth int // -1: no version id
			}
			var dels []del
			for range 30 {
				d := del{key: fmt.Sprintf("k%02d", rng.IntN(14)), nth: -1}
				if state != VersioningUnset && rng.IntN(2) == 0 {
					d.nth = rng.IntN(4)
				}
				dels = append(dels, d)
			}
			inputs := func(e *env) []DeleteInput {
				var ins []DeleteInput
				for _, d := range dels {
					in := DeleteInput{Tenant: tenant, Bucket: "bkt", Key: d.key}
					if vs := versions[e][d.key]; d.nth >= 0 && d.nth < len(vs) {
						in.VersionID = vs[d.nth]
					}
					ins = append(ins, in)
				}
				return ins
			}
			before := many.commits()
			got := many.s.DeleteObjects(ctx, tenant, "bkt", inputs(many))
			// A batch that finds nothing to delete commits nothing.
			if n := many.commits() - before; before >= 0 && (n < 1 || n > int64((len(dels)+6)/7)) {
				t.Errorf("%d commits for %d keys in batches of 7", n, len(dels))
			}
			var want []DeleteResult
			for _, in := range inputs(one) {
				out, err := one.s.DeleteObject(ctx, in)
				want = append(want, DeleteResult{DeleteOutput: out, Err: err})
			}
			// Version ids differ between the stores (they are times); what
			// each names must agree.
			name := func(e *env, key, vid string) string {
				for i, v := range versions[e][key] {
					if v == vid {
						return fmt.Sprint("v", i)
					}
				}
				if vid == "" {
					return ""
				}
				return "new"
			}
			for i := range dels {
				g, w := got[i], want[i]
				if errs.KindOf(g.Err) != errs.KindOf(w.Err) || (g.Err == nil) != (w.Err == nil) ||
					g.DeleteMarker != w.DeleteMarker || name(many, dels[i].key, g.VersionID) != name(one, dels[i].key, w.VersionID) {
					t.Errorf("delete %d %+v: got %+v, one by one %+v", i, dels[i], g, w)
				}
			}
			left := func(e *env) []string {
				lv, err := e.s.ListObjectVersions(ctx, ListVersionsInput{Tenant: tenant, Bucket: "bkt", MaxKeys: 1000})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, v := range lv.Versions {
					out = append(out, fmt.Sprintf("%s:%s:%v:%d:%v", v.Key, name(e, v.Key, v.VersionID), v.DeleteMarker, v.Size, v.IsLatest))
				}
				b, err := e.s.GetBucket(ctx, tenant, "bkt")
				if err != nil {
					t.Fatal(err)
				}
				return append(out, fmt.Sprintf("usage %d objects %d bytes", b.Objects, b.UsedBytes))
			}
			if g, w := left(many), left(one); fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("left\n got %v\nwant %v", g, w)
			}
			// The blobs of what was deleted are garbage, collected as after
			// single deletes .
			for _, e := range []*env{many, one} {
				if _, err := e.s.CollectGarbage(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if gm, gw := many.s.gcRemoved.Load(), one.s.gcRemoved.Load(); gm != gw || gm == 0 {
				t.Errorf("garbage collected: %d after DeleteObjects, %d one by one", gm, gw)
			}
		})
	}
}

// A record the store cannot decode fails its own key only: the batch it
// shared is deleted again key by key.
func TestDeleteObjects_corruptRecordFailsItsKeyOnly(t *testing.T) {
	e := newEnv(t, nil).quiet()
	e.bucket("bkt")
	e.put("bkt", "a", []byte("a"))
	e.put("bkt", "c", []byte("c"))
	var b *bucketRecord
	if err := e.s.view(ctx, "test", func(tx kv.Reader) (err error) {
		b, err = getBucket(tx, tenant, "bkt")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.kv.Update(ctx, func(tx kv.Txn) error { return tx.Set(currentKey(b.ID, "b"), []byte{0xff, 0, 0}) }); err != nil {
		t.Fatal(err)
	}
	res := e.s.DeleteObjects(ctx, tenant, "bkt", []DeleteInput{{Key: "a"}, {Key: "b"}, {Key: "c"}})
	if res[0].Err != nil || res[2].Err != nil || errs.KindOf(res[1].Err) != errs.Internal {
		t.Fatalf("results %+v", res)
	}
	for _, k := range []string{"a", "c"} {
		if _, _, err := e.get("bkt", k, ""); !errors.Is(err, errs.NoSuchKey) {
			t.Errorf("%s after DeleteObjects: %v", k, err)
		}
	}
}
