package metrics

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"coffer/internal/core"
	"coffer/internal/objects"
	"coffer/internal/stats"
)

// storageCollector reads the storage packages' and the core's counters on
// each scrape.
type storageCollector struct {
	o *Options

	tenantObjects, tenantBytes, tenantBuckets *prometheus.Desc
	gcBacklog, gcRemoved, gcPasses            *prometheus.Desc
	jobs                                      *prometheus.Desc
	nodeAge, nodeUp, nodes                    *prometheus.Desc
	credHits, credMisses                      *prometheus.Desc
	blobOp, blobWritten, blobRead             *prometheus.Desc
	kvCommits, kvGaveUp, kvGroup, kvFsync     *prometheus.Desc
	kvSyncQueue, kvWALIn, kvWALWritten        *prometheus.Desc
	kvWALFiles, kvDisk, kvReadAmp             *prometheus.Desc
	kvFlushes, kvCompactions                  *prometheus.Desc
	kvCacheHits, kvCacheMisses                *prometheus.Desc
	collectErrors                             *prometheus.Desc
}

// OtherTenants is the tenant label of the tenants beyond MaxTenants.
const OtherTenants = "(other)"

func newStorageCollector(o *Options) *storageCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &storageCollector{o: o,
		tenantObjects: d("coffer_tenant_objects", "Objects (every version) in a tenant's buckets, from the buckets' usage counters; the largest tenants by bytes, the rest summed as tenant=\"(other)\".", "tenant"),
		tenantBytes:   d("coffer_tenant_bytes", "Logical bytes of every version and pending part in a tenant's buckets.", "tenant"),
		tenantBuckets: d("coffer_tenant_buckets", "Buckets of a tenant.", "tenant"),
		gcBacklog:     d("coffer_gc_backlog_blobs", "Retired blobs waiting for the garbage collector to delete their files (capped at 1e6)."),
		gcRemoved:     d("coffer_gc_removed_blobs_total", "Blob files the garbage collector deleted."),
		gcPasses:      d("coffer_gc_passes_total", "Garbage collection passes run (deletes in quick succession share one)."),
		jobs:          d("coffer_jobs", "Retained jobs by state.", "state"),
		nodeAge:       d("coffer_node_heartbeat_age_seconds", "Seconds since a node's last heartbeat.", "node"),
		nodeUp:        d("coffer_node_up", "1 while a node counts as running (heartbeat within 3 intervals, not stopped), else 0.", "node"),
		nodes:         d("coffer_nodes", "Nodes by state (up, down, stopped).", "state"),
		credHits:      d("coffer_credential_cache_hits_total", "S3 access-key lookups answered by the credential cache."),
		credMisses:    d("coffer_credential_cache_misses_total", "S3 access-key lookups that read the metadata store (first use, after an identity change, unknown keys)."),
		blobOp:        d("coffer_blob_operation_duration_seconds", "Blob store disk operations: write (one write of buffered data), sync (fdatasync of a new blob), syncdir (directory fsync), commit (a whole commit), open, read (one ReadAt), remove.", "op"),
		blobWritten:   d("coffer_blob_written_bytes_total", "Bytes written to blob files."),
		blobRead:      d("coffer_blob_read_bytes_total", "Bytes read from blob files by ReadAt (sendfile reads are not seen)."),
		kvCommits:     d("coffer_kv_commits_total", "Read-write metadata transactions committed (Pebble)."),
		kvGaveUp:      d("coffer_kv_conflicts_exhausted_total", "Updates that returned a conflict after their retry budget (Pebble)."),
		kvGroup:       d("coffer_kv_group_commit_size", "Commits waiting for the WAL fsync when a commit starts waiting, itself included: the size of the groups sharing an fsync (Pebble)."),
		kvFsync:       d("coffer_kv_wal_fsync_duration_seconds", "Pebble WAL fsync latency; its _count is the number of WAL fsyncs."),
		kvSyncQueue:   d("coffer_kv_wal_sync_queue_mean", "Pebble's mean number of sync requests pending at a WAL flush, since start."),
		kvWALIn:       d("coffer_kv_wal_logical_bytes_total", "Logical bytes written to the Pebble WAL."),
		kvWALWritten:  d("coffer_kv_wal_written_bytes_total", "Physical bytes written to the Pebble WAL."),
		kvWALFiles:    d("coffer_kv_wal_files", "Live Pebble WAL files."),
		kvDisk:        d("coffer_kv_disk_bytes", "Bytes the metadata store occupies on disk."),
		kvReadAmp:     d("coffer_kv_read_amplification", "Pebble read amplification (L0 sublevels plus non-empty levels)."),
		kvFlushes:     d("coffer_kv_flushes_total", "Pebble memtable flushes."),
		kvCompactions: d("coffer_kv_compactions_total", "Pebble compactions."),
		kvCacheHits:   d("coffer_kv_block_cache_hits_total", "Pebble block cache hits."),
		kvCacheMisses: d("coffer_kv_block_cache_misses_total", "Pebble block cache misses."),
		collectErrors: d("coffer_metrics_collect_errors", "1 when reading a source of metrics failed during this scrape.", "source"),
	}
}

func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tenantObjects, c.tenantBytes, c.tenantBuckets, c.gcBacklog, c.gcRemoved, c.gcPasses,
		c.jobs, c.nodeAge, c.nodeUp, c.nodes, c.credHits, c.credMisses, c.blobOp, c.blobWritten, c.blobRead,
		c.kvCommits, c.kvGaveUp, c.kvGroup, c.kvFsync, c.kvSyncQueue, c.kvWALIn, c.kvWALWritten, c.kvWALFiles,
		c.kvDisk, c.kvReadAmp, c.kvFlushes, c.kvCompactions, c.kvCacheHits, c.kvCacheMisses, c.collectErrors} {
		ch <- d
	}
}

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 10 * time.Second

func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	failed := func(source string, err error) {
		c.o.Logger.Warn("metrics: reading a source failed", "source", source, "err", err)
		ch <- prometheus.MustNewConstMetric(c.collectErrors, prometheus.GaugeValue, 1, source)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	hist := func(d *prometheus.Desc, s stats.HistogramSnapshot, labels ...string) {
		ch <- prometheus.MustNewConstHistogram(d, s.Count, s.Sum, s.Buckets(), labels...)
	}
	if o := c.o.Objects; o != nil {
		if err := c.collectTenants(ctx, ch); err != nil {
			failed("tenants", err)
		}
		if n, err := o.GarbageBacklog(ctx, GarbageBacklogLimit); err != nil {
			failed("gc", err)
		} else {
			gauge(c.gcBacklog, float64(n))
		}
		counter(c.gcRemoved, float64(o.GarbageRemoved()))
		counter(c.gcPasses, float64(o.GarbagePasses()))
	}
	if k := c.o.Core; k != nil {
		h, m := k.CredentialCacheStats()
		counter(c.credHits, float64(h))
		counter(c.credMisses, float64(m))
		if err := c.collectJobs(ctx, ch); err != nil {
			failed("jobs", err)
		}
		if err := c.collectNodes(ctx, ch); err != nil {
			failed("nodes", err)
		}
	}
	if b := c.o.Blobs; b != nil {
		s := b.Stats()
		for _, op := range []struct {
			name string
			h    stats.HistogramSnapshot
		}{{"write", s.Write}, {"sync", s.Sync}, {"syncdir", s.SyncDir}, {"commit", s.Commit},
			{"open", s.Open}, {"read", s.Read}, {"remove", s.Remove}} {
			hist(c.blobOp, op.h, op.name)
		}
		counter(c.blobWritten, float64(s.BytesWritten))
		counter(c.blobRead, float64(s.BytesRead))
	}
	if k := c.o.KV; k != nil {
		s := k.Stats()
		counter(c.kvCommits, float64(s.Commits))
		counter(c.kvGaveUp, float64(s.GaveUp))
		hist(c.kvGroup, s.SyncWaiters)
		hist(c.kvFsync, s.WALFsync)
		gauge(c.kvSyncQueue, s.WALSyncQueueMean)
		counter(c.kvWALIn, float64(s.WALBytesIn))
		counter(c.kvWALWritten, float64(s.WALBytesWritten))
		gauge(c.kvWALFiles, float64(s.WALFiles))
		gauge(c.kvDisk, float64(s.DiskSpace))
		gauge(c.kvReadAmp, float64(s.ReadAmp))
		counter(c.kvFlushes, float64(s.Flushes))
		counter(c.kvCompactions, float64(s.Compactions))
		counter(c.kvCacheHits, float64(s.CacheHits))
		counter(c.kvCacheMisses, float64(s.CacheMisses))
	}
}

// collectTenants exports the usage of the MaxTenants largest tenants (by
// bytes, then name) and the sum of the rest. Tenants are named; one whose
// record is gone (being deleted) shows its id.
func (c *storageCollector) collectTenants(ctx context.Context, ch chan<- prometheus.Metric) error {
	usage, err := c.o.Objects.UsageByTenant(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if c.o.Core != nil {
		ts, err := c.o.Core.ListTenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			names[t.UUID] = t.Name
		}
	}
	for i := range usage {
		if n, ok := names[usage[i].Tenant]; ok {
			usage[i].Tenant = n
		}
	}
	slices.SortFunc(usage, func(a, b objects.TenantUsage) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Tenant, b.Tenant))
	})
	var other objects.TenantUsage
	for i, u := range usage {
		if i >= c.o.MaxTenants {
			other.Buckets += u.Buckets
			other.Objects += u.Objects
			other.Bytes += u.Bytes
			continue
		}
		c.tenant(ch, u.Tenant, u)
	}
	if len(usage) > c.o.MaxTenants {
		c.tenant(ch, OtherTenants, other)
	}
	return nil
}

func (c *storageCollector) tenant(ch chan<- prometheus.Metric, label string, u objects.TenantUsage) {
	ch <- prometheus.MustNewConstMetric(c.tenantObjects, prometheus.GaugeValue, float64(u.Objects), label)
	ch <- prometheus.MustNewConstMetric(c.tenantBytes, prometheus.GaugeValue, float64(u.Bytes), label)
	ch <- prometheus.MustNewConstMetric(c.tenantBuckets, prometheus.GaugeValue, float64(u.Buckets), label)
}

// jobStates are every state, exported even when zero.
var jobStates = []core.JobState{core.JobQueued, core.JobRunning, core.JobSuccess, core.JobFailure}

func (c *storageCollector) collectJobs(ctx context.Context, ch chan<- prometheus.Metric) error {
	jobs, err := c.o.Core.ListJobs(ctx, core.JobFilter{})
	if err != nil {
		return err
	}
	n := map[core.JobState]int{}
	for _, j := range jobs {
		n[j.State]++
	}
	for _, s := range jobStates {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n[s]), string(s))
	}
	return nil
}

// collectNodes exports the MaxNodes most recently seen nodes' heartbeats,
// and the count of every node by state.
func (c *storageCollector) collectNodes(ctx context.Context, ch chan<- prometheus.Metric) error {
	nodes, err := c.o.Core.ListNodes(ctx)
	if err != nil {
		return err
	}
	now := c.o.Now()
	slices.SortFunc(nodes, func(a, b core.Node) int {
		return cmp.Or(b.Heartbeat.Compare(a.Heartbeat), cmp.Compare(a.Name, b.Name))
	})
	states := map[string]int{"up": 0, "down": 0, "stopped": 0}
	for i, n := range nodes {
		up := n.Alive(now)
		switch {
		case n.Stopped:
			states["stopped"]++
		case up:
			states["up"]++
		default:
			states["down"]++
		}
		if i >= c.o.MaxNodes {
			continue
		}
		v := 0.0
		if up {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.nodeUp, prometheus.GaugeValue, v, n.Name)
		if !n.Heartbeat.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.nodeAge, prometheus.GaugeValue, max(now.Sub(n.Heartbeat).Seconds(), 0), n.Name)
		}
	}
	for s, v := range states {
		ch <- prometheus.MustNewConstMetric(c.nodes, prometheus.GaugeValue, float64(v), s)
	}
	return nil
}
