package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/lease"
	"coffer/internal/lifecycle"
	"coffer/internal/objects"
)

// Lifecycle: the rules of package lifecycle, stored per bucket under
// objects.ConfigLifecycle, run by a core job ("Lifecycle") over the object
// layer, like any client:
//
//   - A pass walks every bucket that has a configuration, in bounded
//     batches (Options.LifecycleBatch versions or uploads per batch). After
//     each batch the bucket's cursor (where the walk is, the state of the key
//     that straddles the batch boundary, the counts so far) is saved in kv
//     ('l' "c" tenant bucket), so a pass stopped by a restart, a kill or a
//     failure resumes where it was on the next pass, not from the start of
//     a bucket of millions of keys. The cursor is dropped when the bucket's
//     walk ends. Replaying a batch is harmless: every action re-checks its
//     object first.
//   - Current versions due under Expiration are expired, and expired object
//     delete markers removed, in one object-layer transaction per batch
//     (objects.ExpireObjects, which re-checks that each key's current
//     version is still the one evaluated). Noncurrent versions due under
//     NoncurrentVersionExpiration are removed one by one through
//     objects.DeleteObject with their version id, the very call S3's
//     DeleteObject makes, so Object Lock's refusal (AccessDenied inside that
//     transaction) applies: a locked version is skipped and counted, and
//     tried again on a later pass. Incomplete multipart uploads due under
//     AbortIncompleteMultipartUpload are aborted through
//     objects.AbortMultipartUpload.
//   - Options.Day is the length of a lifecycle day (tests shorten it, as for
//     the plan retention job). A pass runs under the "lifecycle" lease
//     (RunPeriodic), so nodes sharing a store never run two at once; the
//     next starts Options.LifecycleInterval after the last completed one
//     ended, and a pass whose node died is started again, from the
//     cursors, by another node once its lease expired.

// LifecycleResult counts what lifecycle did to one bucket (or a pass).
type LifecycleResult struct {
	Buckets           int `json:"buckets,omitempty"`
	Examined          int `json:"examined"`           // versions, delete markers and uploads looked at
	Expired           int `json:"expired"`            // current versions expired
	NoncurrentRemoved int `json:"noncurrent_removed"` // noncurrent versions removed
	MarkersRemoved    int `json:"markers_removed"`    // expired object delete markers removed
	UploadsAborted    int `json:"uploads_aborted"`
	Locked            int `json:"locked"` // removals refused by Object Lock, skipped
	Batches           int `json:"batches"`
}

func (r *LifecycleResult) add(o LifecycleResult) {
	r.Buckets += o.Buckets
	r.Examined += o.Examined
	r.Expired += o.Expired
	r.NoncurrentRemoved += o.NoncurrentRemoved
	r.MarkersRemoved += o.MarkersRemoved
	r.UploadsAborted += o.UploadsAborted
	r.Locked += o.Locked
	r.Batches += o.Batches
}

func (r LifecycleResult) String() string {
	return fmt.Sprintf("%d buckets, %d examined, %d expired, %d noncurrent versions removed, %d delete markers removed, %d uploads aborted, %d locked versions skipped",
		r.Buckets, r.Examined, r.Expired, r.NoncurrentRemoved, r.MarkersRemoved, r.UploadsAborted, r.Locked)
}

// Defaults of the lifecycle options.
const (
	DefaultLifecycleInterval = time.Hour
	DefaultLifecycleBatch    = 1000
	// lifecycleDeleters bounds the concurrent noncurrent-version deletes
	// of a batch (they share WAL syncs through group commit).
	lifecycleDeleters = 8
)

// --- configuration -----------------------------------------------------------

// GetBucketLifecycle returns a bucket's lifecycle configuration
// (NoSuchLifecycleConfiguration when it has none). The ONTAP /rules face
// and S3 read the same record.
func (s *Service) GetBucketLifecycle(ctx context.Context, tenant, bucket string) (*lifecycle.Config, error) {
	b, err := s.obj.GetBucket(ctx, tenant, bucket)
	if err != nil {
		return nil, err
	}
	data := b.Configs[objects.ConfigLifecycle]
	if data == nil {
		return nil, errs.New(errs.NoSuchLifecycleConfiguration, "The lifecycle configuration does not exist")
	}
	return lifecycle.Decode(data)
}

// PutBucketLifecycle validates and replaces a bucket's lifecycle
// configuration; nil deletes it.
func (s *Service) PutBucketLifecycle(ctx context.Context, tenant, bucket string, c *lifecycle.Config) error {
	var value []byte
	if c != nil {
		if err := c.Validate(); err != nil {
			return err
		}
		value = c.Encode()
	}
	err := s.obj.PutBucketConfig(ctx, tenant, bucket, objects.ConfigLifecycle, value)
	s.bucketChanged()
	return err
}

// UpdateBucketLifecycle changes a bucket's lifecycle configuration in one
// transaction (ONTAP's /rules adds, changes or removes one rule at a time):
// fn gets the current configuration (nil when none) and returns the new
// one (nil deletes it), which is validated. fn may run more than once.
func (s *Service) UpdateBucketLifecycle(ctx context.Context, tenant, bucket string, fn func(c *lifecycle.Config) (*lifecycle.Config, error)) error {
	err := s.obj.UpdateBucketConfig(ctx, tenant, bucket, objects.ConfigLifecycle, func(old []byte) ([]byte, error) {
		var cur *lifecycle.Config
		if old != nil {
			var err error
			if cur, err = lifecycle.Decode(old); err != nil {
				return nil, errs.Wrap(errs.Internal, err, "bucket %s", bucket)
			}
		}
		next, err := fn(cur)
		if err != nil || next == nil {
			return nil, err
		}
		if err := next.Validate(); err != nil {
			return nil, err
		}
		return next.Encode(), nil
	})
	s.bucketChanged()
	return err
}

// --- the job -----------------------------------------------------------------

// lifecycleCursor is a bucket's resumable position.
type lifecycleCursor struct {
	Schema     int       `json:"_v"`
	BucketUUID string    `json:"bucket"`
	Started    time.Time `json:"started"`
	// Uploads: the version walk is done, the upload walk is under way.
	Uploads bool `json:"uploads,omitempty"`
	// KeyMarker and VersionMarker resume ListObjectVersions; UploadKey and
	// UploadID resume ListMultipartUploads.
	KeyMarker     string `json:"key_marker,omitempty"`
	VersionMarker string `json:"version_marker,omitempty"`
	UploadKey     string `json:"upload_key,omitempty"`
	UploadID      string `json:"upload_id,omitempty"`
	// Carry is the key the last batch ended in.
	Carry keyCarry `json:"carry"`
	// Deferred is a noncurrent version due for removal that was the last
	// version of its batch: it is the listing's marker, so it is removed
	// only after the next batch was listed.
	Deferred string `json:"deferred,omitempty"`
	// Result counts the bucket's walk so far.
	Result LifecycleResult `json:"result"`
}

// keyCarry is the walk's state within one key's versions (newest first).
type keyCarry struct {
	Key   string    `json:"key,omitempty"`
	Seen  int       `json:"seen,omitempty"`  // versions of Key seen so far
	Newer time.Time `json:"newer,omitzero"`  // LastModified of the last one seen
	Older bool      `json:"older,omitempty"` // a version older than the current one exists
	// MarkerVID and MarkerTime describe a current delete marker, whose
	// fate depends on whether older versions exist.
	MarkerVID  string    `json:"marker_vid,omitempty"`
	MarkerTime time.Time `json:"marker_time,omitzero"`
	Started    bool      `json:"started,omitempty"`
}

const lifecycleSchema = 1

func lifecycleCursorKey(tenant, bucket string) []byte { return key('l', "c", tenant, bucket) }

// leaseLifecycle is the lease a node holds while it runs a lifecycle pass
// (RunPeriodic): one pass at a time over every node sharing the store, one
// per LifecycleInterval (counted from the end of the last completed pass).
const leaseLifecycle = "lifecycle"

// startLifecycleLoop starts the periodic passes (stopped with the job
// runner). It looks every JobLease (or every interval, if shorter), so a
// pass whose node died is taken over soon after its lease expired.
func (s *Service) startLifecycleLoop() {
	every := s.opts.LifecycleInterval
	if every <= 0 {
		return
	}
	s.jobs.Go(func(ctx context.Context) {
		t := time.NewTicker(min(every, max(s.opts.JobLease, 10*time.Millisecond)))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if s.jobs.Crashed() {
					continue // a simulated crash (tests)
				}
				if _, _, err := s.StartLifecycle(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("lifecycle pass not started", "err", err)
				}
			}
		}
	})
}

// StartLifecycle submits a lifecycle pass ("Lifecycle" job) over every
// bucket with a lifecycle configuration, under the "lifecycle" lease
// (RunPeriodic): only when no node runs a pass and the last completed pass
// (by any node) ended at least Options.LifecycleInterval ago; started is
// false otherwise (or when no bucket has rules). The node renews the lease
// while its job runs; if the node dies, the lease expires, the pass is not
// "done", and the next node to look starts a new pass, which resumes every
// bucket from its saved cursor (the dead node's job is failed as
// interrupted by the job takeover scan). The job is visible and killable
// like the vault plane's jobs (ONTAP /api/cluster/jobs, Commvault /Job); a
// killed pass resumes where it stopped on the next one.
func (s *Service) StartLifecycle(ctx context.Context) (job Job, started bool, err error) {
	every := s.opts.LifecycleInterval
	if every <= 0 {
		every = DefaultLifecycleInterval
	}
	if !s.lifecycleBusy.CompareAndSwap(false, true) {
		return Job{}, false, nil // this process runs a pass
	}
	handed := false // to the pass's goroutine, which clears lifecycleBusy
	defer func() {
		if !handed {
			s.lifecycleBusy.Store(false)
		}
	}()
	// A cheap look first: the loop asks often, and listing the buckets
	// reads every bucket record.
	l, err := s.leases.Get(ctx, leaseLifecycle)
	if err != nil {
		return Job{}, false, err
	}
	now := s.now().UTC()
	if l.Holder != "" && now.Before(l.Expires) ||
		!l.LastDone.IsZero() && now.Sub(l.LastDone) < every && !l.LastDone.After(now.Add(every)) {
		return Job{}, false, nil
	}
	buckets, err := s.obj.BucketsWithConfig(ctx, objects.ConfigLifecycle)
	if err != nil {
		return Job{}, false, err
	}
	if len(buckets) == 0 {
		// An empty pass is done too: the loop looks at the buckets again
		// an interval later, not at every tick.
		_, err := s.leases.RunPeriodic(ctx, leaseLifecycle, every, s.opts.JobLease, func(context.Context, lease.Lease) error { return nil })
		return Job{}, false, err
	}
	type submitted struct {
		job Job
		err error
	}
	out := make(chan submitted, 1)
	running := s.jobs.Go(func(rctx context.Context) {
		defer s.lifecycleBusy.Store(false)
		sent := false
		_, err := s.leases.RunPeriodic(rctx, leaseLifecycle, every, s.opts.JobLease, func(lctx context.Context, _ lease.Lease) error {
			done := make(chan struct{})
			var passErr error
			job, err := s.submitLifecyclePass(lctx, buckets, func(err error) { passErr = err; close(done) })
			out <- submitted{job, err}
			sent = true
			if err != nil {
				return err
			}
			select {
			case <-done:
				return passErr
			case <-rctx.Done(): // a shutdown: the job may never have started
				return rctx.Err()
			}
		})
		if !sent {
			out <- submitted{err: err}
		}
	})
	if !running {
		return Job{}, false, errs.New(errs.Internal, "the server is shutting down")
	}
	handed = true
	res := <-out
	return res.job, res.err == nil && res.job.UUID != "", res.err
}

// submitLifecyclePass submits the job of a pass held under the lease whose
// context is lctx: the pass stops at its next batch once the lease is
// lost, so two nodes never walk at once for long (a replayed batch is
// harmless). ended is called with the pass's error when the job's work
// returns.
func (s *Service) submitLifecyclePass(lctx context.Context, buckets []objects.BucketInfo, ended func(error)) (Job, error) {
	var clients []int32
	for _, b := range buckets {
		clients = append(clients, int32(b.ID))
	}
	lost := func() error {
		return errs.New(errs.Internal, "The lifecycle pass stopped: node %s no longer holds the lifecycle lease.", s.node.name)
	}
	spec := JobSpec{Description: fmt.Sprintf("Lifecycle rules of %d buckets", len(buckets)), Operation: "Lifecycle"}
	return s.submitTracked(lctx, spec, JobInfo{Clients: clients, ClientName: "lifecycle"},
		func(ctx context.Context, p JobProgress, check func() error) (result string, err error) {
			defer func() { ended(err) }()
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			defer context.AfterFunc(lctx, cancel)()
			leased := func() error {
				if lctx.Err() != nil {
					return lost()
				}
				return check()
			}
			var total LifecycleResult
			var failed error
			for i, b := range buckets {
				res, err := s.RunBucketLifecycle(ctx, b.Tenant, b.Name, leased)
				total.add(res)
				if lctx.Err() != nil {
					return "", lost()
				}
				if err != nil {
					if ctx.Err() != nil || ReasonOf(err) == ReasonJobKilled {
						return "", err
					}
					s.log.Error("lifecycle of a bucket failed", "tenant", b.Tenant, "bucket", b.Name, "err", err)
					failed = errors.Join(failed, err)
				}
				p.Update((i+1)*100/len(buckets), fmt.Sprintf("%d of %d buckets done: %s", i+1, len(buckets), total))
			}
			if failed != nil {
				return "", failed
			}
			return total.String(), nil
		})
}

// RunBucketLifecycle runs one bucket's rules to the end of the bucket,
// from its saved cursor if a previous walk stopped midway. check is called
// before each batch; its error stops the walk (the cursor stays). The
// result counts this call's work only.
func (s *Service) RunBucketLifecycle(ctx context.Context, tenant, bucket string, check func() error) (LifecycleResult, error) {
	w := &lifecycleWalk{s: s, tenant: tenant, bucket: bucket, day: s.opts.Day, batch: s.opts.LifecycleBatch}
	return w.run(ctx, check)
}

type lifecycleWalk struct {
	s              *Service
	tenant, bucket string
	day            time.Duration
	batch          int
	cfg            *lifecycle.Config
	cur            lifecycleCursor
	res            LifecycleResult // this call's work
}

func (w *lifecycleWalk) run(ctx context.Context, check func() error) (LifecycleResult, error) {
	s := w.s
	w.res = LifecycleResult{Buckets: 1}
	b, err := s.obj.GetBucket(ctx, w.tenant, w.bucket)
	if errs.KindOf(err) == errs.NoSuchBucket {
		return w.res, w.dropCursor(ctx)
	}
	if err != nil {
		return w.res, err
	}
	data := b.Configs[objects.ConfigLifecycle]
	if data == nil {
		return w.res, w.dropCursor(ctx)
	}
	if w.cfg, err = lifecycle.Decode(data); err != nil {
		return w.res, errs.New(errs.Internal, "bucket %s: %v", w.bucket, err)
	}
	if err := s.view(ctx, "read lifecycle cursor", func(tx kv.Reader) error {
		w.cur = lifecycleCursor{}
		_, err := kv.GetJSON(tx, lifecycleCursorKey(w.tenant, w.bucket), &w.cur)
		return err
	}); err != nil {
		return w.res, err
	}
	if w.cur.BucketUUID != b.UUID || w.cur.Schema != lifecycleSchema {
		w.cur = lifecycleCursor{Schema: lifecycleSchema, BucketUUID: b.UUID, Started: s.now().UTC()}
	}
	versions, uploads := w.cfg.Acts()
	if !versions {
		w.cur.Uploads = true
	}
	for !w.cur.Uploads {
		if check != nil {
			if err := check(); err != nil {
				return w.res, err
			}
		}
		done, err := w.versionBatch(ctx)
		if err != nil {
			return w.res, w.stopped(err)
		}
		if done {
			w.cur.Uploads = true
		}
		if err := w.saveCursor(ctx); err != nil {
			return w.res, err
		}
	}
	for uploads {
		if check != nil {
			if err := check(); err != nil {
				return w.res, err
			}
		}
		done, err := w.uploadBatch(ctx)
		if err != nil {
			return w.res, w.stopped(err)
		}
		if done {
			break
		}
		if err := w.saveCursor(ctx); err != nil {
			return w.res, err
		}
	}
	return w.res, w.dropCursor(ctx)
}

// stopped turns a bucket that disappeared mid-walk into the walk's end.
func (w *lifecycleWalk) stopped(err error) error {
	if errs.KindOf(err) == errs.NoSuchBucket {
		return w.dropCursor(context.WithoutCancel(context.Background()))
	}
	return err
}

func (w *lifecycleWalk) saveCursor(ctx context.Context) error {
	return w.s.update(context.WithoutCancel(ctx), "save lifecycle cursor", func(tx kv.Txn) error {
		return kv.SetJSON(tx, lifecycleCursorKey(w.tenant, w.bucket), &w.cur)
	})
}

func (w *lifecycleWalk) dropCursor(ctx context.Context) error {
	return w.s.update(context.WithoutCancel(ctx), "drop lifecycle cursor", func(tx kv.Txn) error {
		return tx.Delete(lifecycleCursorKey(w.tenant, w.bucket))
	})
}

func (w *lifecycleWalk) count(f func(r *LifecycleResult)) {
	f(&w.res)
	f(&w.cur.Result)
}

// versionBatch lists and acts on one batch of versions; done reports the
// end of the bucket.
func (w *lifecycleWalk) versionBatch(ctx context.Context) (done bool, err error) {
	s := w.s
	page, err := s.obj.ListObjectVersions(ctx, objects.ListVersionsInput{Tenant: w.tenant, Bucket: w.bucket,
		KeyMarker: w.cur.KeyMarker, VersionIDMarker: w.cur.VersionMarker, MaxKeys: w.batch, WithTags: w.cfg.HasTags()})
	if err != nil {
		return false, err
	}
	now := s.now()
	var expire []objects.Expire
	var remove []objects.ObjectInfo
	if w.cur.Deferred != "" {
		remove = append(remove, objects.ObjectInfo{Key: w.cur.KeyMarker, VersionID: w.cur.Deferred})
		w.cur.Deferred = ""
	}
	c := &w.cur.Carry
	finishKey := func() {
		if c.Started && c.MarkerVID != "" && !c.Older {
			if _, due := w.cfg.MarkerDue(c.Key, c.MarkerTime, now, w.day); due {
				expire = append(expire, objects.Expire{Kind: objects.RemoveExpiredMarker, Key: c.Key,
					VersionID: c.MarkerVID, Modified: c.MarkerTime})
			}
		}
	}
	for i, v := range page.Versions {
		w.count(func(r *LifecycleResult) { r.Examined++ })
		if !c.Started || v.Key != c.Key {
			finishKey()
			*c = keyCarry{Key: v.Key, Started: true}
		}
		o := lifecycle.Object{Key: v.Key, Size: v.Size, DeleteMarker: v.DeleteMarker}
		for _, t := range v.Tags {
			o.Tags = append(o.Tags, lifecycle.Tag{Key: t.Key, Value: t.Value})
		}
		if c.Seen == 0 {
			switch {
			case !v.IsLatest:
				// The current version went away between batches: treat
				// this one as noncurrent since an unknown time, i.e. not.
				c.Older = true
			case v.DeleteMarker:
				c.MarkerVID, c.MarkerTime = v.VersionID, v.LastModified
			default:
				if e, ok := w.cfg.CurrentExpiry(o, v.LastModified, w.day); ok && !now.Before(e.At) {
					expire = append(expire, objects.Expire{Kind: objects.ExpireCurrent, Key: v.Key,
						VersionID: v.VersionID, Modified: v.LastModified})
				}
			}
		} else {
			c.Older = true
			if _, due := w.cfg.NoncurrentDue(o, c.Newer, c.Seen-1, now, w.day); due && !c.Newer.IsZero() {
				if page.IsTruncated && i == len(page.Versions)-1 {
					w.cur.Deferred = v.VersionID
				} else {
					remove = append(remove, v)
				}
			}
		}
		c.Seen++
		c.Newer = v.LastModified
	}
	if !page.IsTruncated {
		finishKey()
	}
	w.count(func(r *LifecycleResult) { r.Batches++ })
	if err := w.applyExpire(ctx, expire); err != nil {
		return false, err
	}
	if err := w.removeVersions(ctx, remove); err != nil {
		return false, err
	}
	if !page.IsTruncated {
		return true, nil
	}
	w.cur.KeyMarker, w.cur.VersionMarker = page.NextKeyMarker, page.NextVersionIDMarker
	return false, nil
}

// applyExpire runs a batch of expirations in one transaction; when the
// batch is refused as a whole (a locked version somewhere), each is tried
// alone and the refused ones are counted as locked.
func (w *lifecycleWalk) applyExpire(ctx context.Context, batch []objects.Expire) error {
	if len(batch) == 0 {
		return nil
	}
	tally := func(e objects.Expire) {
		w.count(func(r *LifecycleResult) {
			if e.Kind == objects.ExpireCurrent {
				r.Expired++
			} else {
				r.MarkersRemoved++
			}
		})
	}
	done, err := w.s.obj.ExpireObjects(ctx, w.tenant, w.bucket, batch)
	if errs.KindOf(err) == errs.AccessDenied {
		for _, e := range batch {
			d, err := w.s.obj.ExpireObjects(ctx, w.tenant, w.bucket, []objects.Expire{e})
			switch {
			case errs.KindOf(err) == errs.AccessDenied:
				w.count(func(r *LifecycleResult) { r.Locked++ })
			case err != nil:
				return err
			case d[0]:
				tally(e)
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	for i, e := range batch {
		if done[i] {
			tally(e)
		}
	}
	return nil
}

// removeVersions deletes noncurrent versions through DeleteObject, a few at
// a time.
func (w *lifecycleWalk) removeVersions(ctx context.Context, vs []objects.ObjectInfo) error {
	if len(vs) == 0 {
		return nil
	}
	var mu sync.Mutex
	var first error
	next := make(chan objects.ObjectInfo)
	var wg sync.WaitGroup
	for range min(lifecycleDeleters, len(vs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range next {
				_, err := w.s.obj.DeleteObject(ctx, objects.DeleteInput{Tenant: w.tenant, Bucket: w.bucket,
					Key: v.Key, VersionID: v.VersionID})
				mu.Lock()
				switch errs.KindOf(err) {
				case errs.AccessDenied:
					w.count(func(r *LifecycleResult) { r.Locked++ })
				case errs.NoSuchKey, errs.NoSuchVersion:
				default:
					if err == nil {
						w.count(func(r *LifecycleResult) { r.NoncurrentRemoved++ })
					} else if first == nil {
						first = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, v := range vs {
		next <- v
	}
	close(next)
	wg.Wait()
	return first
}

// uploadBatch aborts the due uploads of one batch; done reports the end.
func (w *lifecycleWalk) uploadBatch(ctx context.Context) (done bool, err error) {
	s := w.s
	page, err := s.obj.ListMultipartUploads(ctx, objects.ListUploadsInput{Tenant: w.tenant, Bucket: w.bucket,
		KeyMarker: w.cur.UploadKey, UploadIDMarker: w.cur.UploadID, MaxUploads: w.batch})
	if err != nil {
		return false, err
	}
	now := s.now()
	for _, u := range page.Uploads {
		w.count(func(r *LifecycleResult) { r.Examined++ })
		if _, due := w.cfg.AbortDue(u.Key, u.Initiated, now, w.day); !due {
			continue
		}
		err := s.obj.AbortMultipartUpload(ctx, w.tenant, w.bucket, u.Key, u.UploadID)
		switch {
		case err == nil:
			w.count(func(r *LifecycleResult) { r.UploadsAborted++ })
		case errs.KindOf(err) == errs.NoSuchUpload:
		default:
			return false, err
		}
	}
	w.count(func(r *LifecycleResult) { r.Batches++ })
	if !page.IsTruncated {
		return true, nil
	}
	w.cur.UploadKey, w.cur.UploadID = page.NextKeyMarker, page.NextUploadIDMarker
	return false, nil
}
