package metrics

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/core"
	"coffer/internal/kv/kvmetrics"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
	"coffer/internal/reqlog"
	"coffer/internal/s3api"
)

// stack is a real store, object layer and core, as the server wires them.
type stack struct {
	kv    *pebble.Store
	blobs *blob.Store
	obj   *objects.Service
	core  *core.Service
	mkv   *kvmetrics.Store
}

func newStack(t *testing.T) *stack {
	t.Helper()
	dir := t.TempDir()
	st := &stack{}
	var err error
	if st.kv, err = pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta")}); err != nil {
		t.Fatal(err)
	}
	st.mkv = kvmetrics.New(st.kv)
	if st.blobs, err = blob.Open(blob.Options{Dir: filepath.Join(dir, "data")}); err != nil {
		t.Fatal(err)
	}
	if st.obj, err = objects.New(objects.Options{KV: st.mkv, Blobs: st.blobs}); err != nil {
		t.Fatal(err)
	}
	if st.core, err = core.New(core.Options{KV: st.mkv, Objects: st.obj, ClusterName: "cluster1", Version: "test",
		PasswordIterations: 1000, MinBucketSize: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.core.Close()
		st.obj.Close()
		st.kv.Close()
	})
	return st
}

func (st *stack) put(t *testing.T, tenant, bucket, key string, size int) {
	t.Helper()
	data := bytes.Repeat([]byte("x"), size)
	body, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.obj.PutObject(context.Background(), objects.PutInput{Tenant: tenant, Bucket: bucket, Key: key,
		Body: body, Size: int64(size)}); err != nil {
		t.Fatal(err)
	}
}

func TestStorageCollector(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	boot, err := st.core.Bootstrap(ctx, core.BootstrapInput{TenantName: "default"})
	if err != nil {
		t.Fatal(err)
	}
	// Three tenants of 300, 200 and 100 KB; with MaxTenants 2 the smallest
	// is summed under "(other)" with the empty default tenant.
	sizes := map[string]int{"big": 300_000, "mid": 200_000, "small": 100_000}
	for name, size := range sizes {
		tn, err := st.core.CreateTenant(ctx, core.CreateTenantInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.obj.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tn.UUID, Name: "bucket-" + name}); err != nil {
			t.Fatal(err)
		}
		st.put(t, tn.UUID, "bucket-"+name, "a", size/2)
		st.put(t, tn.UUID, "bucket-"+name, "b", size/2)
	}
	// Overwrite: one retired blob for the collector.
	st.put(t, boot.Tenant.UUID, mustBucket(t, st, boot.Tenant.UUID), "k", 100_000)
	st.put(t, boot.Tenant.UUID, "default-bucket", "k", 100_000)
	if _, err := st.obj.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := st.core.Credential(ctx, boot.Key.AccessKey); err != nil {
			t.Fatal(err)
		}
	}
	ok, err := st.core.SubmitJob(ctx, core.JobSpec{Description: "ok"}, func(context.Context, core.JobProgress) (string, error) { return "", nil })
	if err != nil {
		t.Fatal(err)
	}
	bad, err := st.core.SubmitJob(ctx, core.JobSpec{Description: "bad"}, func(context.Context, core.JobProgress) (string, error) {
		return "", errors.New("boom")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []core.Job{ok, bad} {
		if _, err := st.core.WaitJob(ctx, j.UUID, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.core.RegisterNode(ctx, core.RegisterNodeInput{Name: "node-1", Interval: time.Minute}); err != nil {
		t.Fatal(err)
	}

	m, err := New(Options{Core: st.core, Objects: st.obj, KV: st.kv, Blobs: st.blobs, Collectors: []prometheus.Collector{st.mkv},
		MaxTenants: 2, Auth: Auth{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	// One request of each kind, so that every family has a series.
	m.ObserveS3(s3api.Served{Op: s3api.OpGetObject, Status: 200, Start: time.Now()})
	m.ObserveRequest(reqlog.Summary{Dialect: "ontap", Operation: "GET svms", Status: 200, BytesIn: 1, BytesOut: 1, Start: time.Now()})
	_, fams := scrape(t, m.Handler(), "")
	checkDocs(t, fams)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"coffer_tenant_bytes", labels("tenant", "big"), 300_000},
		{"coffer_tenant_bytes", labels("tenant", "mid"), 200_000},
		{"coffer_tenant_objects", labels("tenant", "big"), 2},
		{"coffer_tenant_buckets", labels("tenant", "mid"), 1},
		{"coffer_tenant_bytes", labels("tenant", OtherTenants), 100_000 + 100_000},
		{"coffer_tenant_objects", labels("tenant", OtherTenants), 2 + 1},
		{"coffer_gc_backlog_blobs", nil, 0},
		{"coffer_gc_removed_blobs_total", nil, 1},
		{"coffer_credential_cache_hits_total", nil, 2},
		{"coffer_jobs", labels("state", "success"), 1},
		{"coffer_jobs", labels("state", "failure"), 1},
		{"coffer_jobs", labels("state", "running"), 0},
		{"coffer_node_up", labels("node", "node-1"), 1},
		{"coffer_nodes", labels("state", "up"), 1},
		{"coffer_blob_operation_duration_seconds", labels("op", "remove"), 1},
		{"coffer_metrics_collect_errors", nil, 0},
	} {
		got, present := sample(fams, c.name, c.labels)
		if c.name == "coffer_metrics_collect_errors" {
			if present {
				t.Errorf("collection errors: %v", fams[c.name])
			}
			continue
		}
		if !present || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, present, c.want)
		}
	}
	if _, present := sample(fams, "coffer_tenant_bytes", labels("tenant", "small")); present {
		t.Error("the third tenant has its own series beyond MaxTenants")
	}
	// Counters that must have moved.
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"coffer_blob_operation_duration_seconds", labels("op", "commit")},
		{"coffer_blob_operation_duration_seconds", labels("op", "sync")},
		{"coffer_blob_written_bytes_total", nil},
		{"coffer_credential_cache_misses_total", nil},
		{"coffer_kv_commits_total", nil},
		{"coffer_kv_group_commit_size", nil},
		{"coffer_kv_wal_fsync_duration_seconds", nil},
		{"coffer_kv_wal_written_bytes_total", nil},
		{"coffer_kv_disk_bytes", nil},
		{"coffer_kv_operation_duration_seconds", labels("op", "update")},
		{"coffer_kv_operations_total", labels("op", "view", "result", "ok")},
		{"coffer_node_heartbeat_age_seconds", labels("node", "node-1")},
	} {
		if got, present := sample(fams, c.name, c.labels); !present || (got <= 0 && c.name != "coffer_node_heartbeat_age_seconds") {
			t.Errorf("%s%v = %v (present %v), want > 0", c.name, c.labels, got, present)
		}
	}
}

// mustBucket creates the default tenant's bucket.
func mustBucket(t *testing.T, st *stack, tenant string) string {
	t.Helper()
	if _, err := st.obj.CreateBucket(context.Background(), objects.CreateBucketInput{Tenant: tenant, Name: "default-bucket"}); err != nil {
		t.Fatal(err)
	}
	return "default-bucket"
}
