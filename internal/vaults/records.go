package vaults

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/jobs"
	"coffer/internal/kv"
	"coffer/internal/nodes"
	"coffer/internal/objects"
)

// EndpointState is the state of one node as an endpoint of a vault.
type EndpointState string

// Endpoint states.
const (
	EndpointPending EndpointState = "pending" // an endpoint job has not reached it yet
	EndpointActive  EndpointState = "active"  // the node serves the vault
	EndpointFailed  EndpointState = "failed"  // the job found the node down (Reason says why)
)

// Endpoint is a node's state as an endpoint of a vault.
type Endpoint struct {
	NodeID int32         `json:"node"`
	State  EndpointState `json:"state"`
	JobID  int64         `json:"job,omitempty"`
	Reason string        `json:"reason,omitempty"`
}

// Record binds a bucket to the vault plane: the plan it was created with,
// the users (Owners) and groups holding the S3 User role on it, and the
// nodes that serve it (none: every node).
type Record struct {
	Schema     int        `json:"_v"`
	Tenant     string     `json:"tenant"`
	Bucket     string     `json:"bucket"`
	BucketUUID string     `json:"bucket_uuid"`
	BucketID   int32      `json:"bucket_id"`
	PlanID     int32      `json:"plan,omitempty"`
	Owners     []int32    `json:"owners,omitempty"`
	Groups     []int32    `json:"groups,omitempty"`
	Endpoints  []Endpoint `json:"endpoints,omitempty"`
	Created    time.Time  `json:"created"`
}

// RecordSchema is the schema version of a Record.
const RecordSchema = 1

// Vault reasons.
const (
	ReasonVaultNotFound       errs.Reason = "vault.not_found"        // NotFound
	ReasonVaultExists         errs.Reason = "vault.exists"           // AlreadyExists
	ReasonVaultPlanRequired   errs.Reason = "vault.plan_required"    // InvalidArgument
	ReasonVaultPlanMismatch   errs.Reason = "vault.plan_mismatch"    // InvalidArgument (planName is not planId's)
	ReasonVaultRefInvalid     errs.Reason = "vault.reference"        // InvalidArgument (an entry without id or name)
	ReasonVaultTooManyMembers errs.Reason = "vault.too_many_members" // InvalidArgument (> the core's MaxVaultPrincipals)
	ReasonVaultNotEmpty       errs.Reason = "vault.not_empty"        // BucketNotEmpty
)

func (s *Service) recordKey(tenant, bucket string) []byte { return s.key('b', tenant, bucket) }

// Records returns the records of a tenant's vaults, or of every tenant's
// with tenant "".
func (s *Service) Records(ctx context.Context, tenant string) ([]Record, error) {
	var out []Record
	prefix := s.key('b')
	if tenant != "" {
		prefix = s.recordKey(tenant, "") // prefix 'b' tenant 0x00
	}
	err := s.view(ctx, "list vaults", func(tx kv.Reader) error {
		out = nil
		return kv.ScanJSON(tx, prefix, func(r Record) error {
			if tenant == "" || r.Tenant == tenant {
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}

// Record returns the record stored for a bucket name; ok is false when
// there is none. It may be the record of a deleted bucket (Live).
func (s *Service) Record(ctx context.Context, what, tenant, bucket string) (rec Record, ok bool, err error) {
	err = s.view(ctx, what, func(tx kv.Reader) error {
		var err error
		ok, err = kv.GetJSON(tx, s.recordKey(tenant, bucket), &rec)
		return err
	})
	return rec, ok, err
}

// Live reports whether a record's bucket still exists (and is the same
// bucket, not a new one of the same name).
func (s *Service) Live(ctx context.Context, r Record) (bool, error) {
	b, err := s.obj.GetBucket(ctx, r.Tenant, r.Bucket)
	if errs.KindOf(err) == errs.NoSuchBucket {
		return false, nil
	}
	return err == nil && b.UUID == r.BucketUUID, err
}

// Bind stores the record of a vault just created with the plan
// rec.PlanID, and returns that plan as the transaction saw it (its WORM
// storage lock may have changed since the vault's bucket was made):
// ReasonPlanNotFound, field "plan.planId", when it was deleted meanwhile.
func (s *Service) Bind(ctx context.Context, rec Record) (Plan, error) {
	var now Plan
	err := s.update(ctx, "create vault", func(tx kv.Txn) error {
		var ok bool
		var err error
		if now, ok, err = s.getPlan(tx, rec.PlanID); err != nil {
			return err
		} else if !ok {
			return PlanNotFound("plan.planId", "Plan %d does not exist.", rec.PlanID)
		}
		return kv.SetJSON(tx, s.recordKey(rec.Tenant, rec.Bucket), &rec)
	})
	return now, err
}

// DropRecord deletes the record of a bucket name, whichever bucket it
// names (undoing a vault's creation).
func (s *Service) DropRecord(ctx context.Context, tenant, bucket string) error {
	return s.update(ctx, "undo vault", func(tx kv.Txn) error { return tx.Delete(s.recordKey(tenant, bucket)) })
}

// DeleteRecord deletes the record of a bucket name when it names the
// bucket uuid (the vault was deleted).
func (s *Service) DeleteRecord(ctx context.Context, what, tenant, bucket, uuid string) error {
	return s.update(ctx, what, func(tx kv.Txn) error {
		var rec Record
		if ok, err := kv.GetJSON(tx, s.recordKey(tenant, bucket), &rec); err != nil || !ok || rec.BucketUUID != uuid {
			return err
		}
		return tx.Delete(s.recordKey(tenant, bucket))
	})
}

// PruneRecords deletes the records whose bucket was deleted (through S3 or
// ONTAP, behind the vault plane's back).
func (s *Service) PruneRecords(ctx context.Context) error {
	recs, err := s.Records(ctx, "")
	if err != nil {
		return err
	}
	for _, r := range recs {
		live, err := s.Live(ctx, r)
		if err != nil {
			return err
		}
		if live {
			continue
		}
		if err := s.DeleteRecord(ctx, "prune vault", r.Tenant, r.Bucket, r.BucketUUID); err != nil {
			return err
		}
	}
	return nil
}

// CheckEndpoint decides whether node may serve S3 requests for a bucket of
// a tenant: yes when the bucket is not a vault with endpoints, or when node
// is one of its active endpoints. Otherwise it returns an AccessDenied
// *errs.Error whose message names the nodes that serve the vault and their
// S3 URLs, for example:
//
//	Vault "backups" is not served by this node (node-b). Use one of its S3 endpoints: node-a (http://10.0.0.1:9000/S3).
//
// node "" (a server without a node name) serves everything. A bucket that
// does not exist passes: the S3 layer answers NoSuchBucket.
func (s *Service) CheckEndpoint(ctx context.Context, tenant, bucket, node string) error {
	if node == "" || bucket == "" {
		return nil
	}
	rec, ok, err := s.Record(ctx, "check endpoint", tenant, bucket)
	if err != nil || !ok || len(rec.Endpoints) == 0 {
		return err
	}
	if live, err := s.Live(ctx, rec); err != nil || !live {
		return err // a record of a deleted bucket restricts nothing
	}
	var me int32
	var serving []string
	pending := false
	for _, e := range rec.Endpoints {
		n, err := s.o.Nodes.Get(ctx, e.NodeID)
		if errs.KindOf(err) == errs.NotFound {
			continue
		} else if err != nil {
			return err
		}
		if n.Name == node {
			me = n.ID
			if e.State == EndpointActive {
				return nil
			}
		}
		switch e.State {
		case EndpointActive:
			desc := n.Name
			if n.S3Endpoint != "" {
				desc += " (" + n.S3Endpoint + ")"
			}
			serving = append(serving, desc)
		case EndpointPending:
			pending = true
		}
	}
	msg := fmt.Sprintf("Vault %q is not served by this node (%s).", bucket, node)
	if me != 0 && pending {
		msg = fmt.Sprintf("Vault %q is not served by this node (%s) yet: its S3 endpoint configuration job is still running.", bucket, node)
	}
	switch {
	case len(serving) > 0:
		msg += " Use one of its S3 endpoints: " + strings.Join(serving, ", ") + "."
	case pending && me == 0:
		msg += " Its S3 endpoints are still being configured."
	case !pending:
		msg += " None of its S3 endpoints is running: add one with POST /V4/Client/{clientId}/CVS3endpoint."
	}
	return errs.New(errs.AccessDenied, "%s", msg)
}

// EndpointPair is one node to configure as an endpoint of one vault.
type EndpointPair struct {
	Tenant string `json:"tenant"`
	Bucket string `json:"bucket"`
	UUID   string `json:"uuid"`
	Node   int32  `json:"node"`
}

// SetEndpoint writes a node's endpoint state in a vault's record. With
// create (submitting a job), a bucket without a record gets one, and an
// active endpoint stays active; without (a job reporting), a record that
// is gone or belongs to another bucket of the same name (the vault was
// deleted, maybe re-created) is left alone.
func (s *Service) SetEndpoint(ctx context.Context, p EndpointPair, ep Endpoint, create bool) error {
	var b objects.BucketInfo
	if create {
		var err error
		if b, err = s.obj.GetBucket(ctx, p.Tenant, p.Bucket); err != nil {
			return err
		}
		if p.UUID != "" && b.UUID != p.UUID {
			return errs.Field(errs.NoSuchBucket, "bucket", "The vault %q was deleted.", p.Bucket)
		}
		p.UUID = b.UUID
	}
	return s.update(ctx, "set endpoint", func(tx kv.Txn) error {
		var rec Record
		ok, err := kv.GetJSON(tx, s.recordKey(p.Tenant, p.Bucket), &rec)
		if err != nil {
			return err
		}
		if !ok || rec.BucketUUID != p.UUID {
			if !create {
				return nil
			}
			rec = Record{Schema: RecordSchema, Tenant: p.Tenant, Bucket: p.Bucket, BucketUUID: b.UUID,
				BucketID: int32(b.ID), Created: s.now().UTC()}
		}
		i := slices.IndexFunc(rec.Endpoints, func(e Endpoint) bool { return e.NodeID == ep.NodeID })
		switch {
		case i < 0:
			rec.Endpoints = append(rec.Endpoints, ep)
		case create && rec.Endpoints[i].State == EndpointActive:
		default:
			rec.Endpoints[i] = ep
		}
		return kv.SetJSON(tx, s.recordKey(p.Tenant, p.Bucket), &rec)
	})
}

// JobKindEndpoints is the resumable endpoint job (Commvault's "Install
// Software" job that installs the S3 endpoint package); its work is
// ConfigureEndpoints over EndpointParams.
const JobKindEndpoints = "vault.endpoints"

// EndpointParams are an endpoint job's parameters.
type EndpointParams struct {
	Pairs []EndpointPair `json:"pairs"`
}

// SubmitEndpointJob records the pairs as pending (keeping endpoints that
// are already active) and submits the resumable job that activates them.
// Each step sets one endpoint's state, which a resumed run (another node,
// after this one died) sets again: the job runs its whole list each time.
func (s *Service) SubmitEndpointJob(ctx context.Context, desc, tenant string, info JobInfo, pairs []EndpointPair) (jobs.Job, error) {
	for _, p := range pairs {
		if err := s.SetEndpoint(ctx, p, Endpoint{NodeID: p.Node, State: EndpointPending}, true); err != nil {
			return jobs.Job{}, err
		}
	}
	s.o.Changed()
	spec := jobs.Spec{Tenant: tenant, Description: desc, Operation: "Install Software"}
	return s.SubmitTrackedResumable(ctx, spec, info, JobKindEndpoints, EndpointParams{Pairs: pairs})
}

// ConfigureEndpoints is the endpoint job's work: each node that runs
// becomes an active endpoint of its vault, each one that does not a failed
// one (the job then fails, nodes.ReasonDown). check is called before each
// pair; a kill (ReasonJobKilled) marks the pairs left failed.
func (s *Service) ConfigureEndpoints(ctx context.Context, p jobs.Progress, pairs []EndpointPair, check func() error) (string, error) {
	var failures, parts []string
	active := 0
	defer s.o.Changed()
	for i, pair := range pairs {
		if err := check(); err != nil {
			if errs.ReasonOf(err) == ReasonJobKilled {
				for _, rest := range pairs[i:] {
					_ = s.SetEndpoint(ctx, rest, Endpoint{NodeID: rest.Node, State: EndpointFailed,
						Reason: "the job was killed"}, false)
				}
			}
			return "", err
		}
		st := Endpoint{NodeID: pair.Node, State: EndpointActive}
		n, err := s.o.Nodes.Get(ctx, pair.Node)
		now := s.now()
		switch {
		case errs.KindOf(err) == errs.NotFound:
			st.State, st.Reason = EndpointFailed, fmt.Sprintf("client %d no longer exists", pair.Node)
		case err != nil:
			return "", err
		case !n.Alive(now):
			last := "never"
			if !n.Heartbeat.IsZero() {
				last = n.Heartbeat.UTC().Format(time.RFC3339)
			}
			st.State, st.Reason = EndpointFailed, fmt.Sprintf("client %q (%d) is not running (last heartbeat: %s)", n.Name, n.ID, last)
		}
		if err := s.SetEndpoint(ctx, pair, st, false); err != nil {
			return "", err
		}
		name := fmt.Sprintf("client %d", pair.Node)
		if err == nil {
			name = n.Name
		}
		if st.State == EndpointActive {
			active++
			parts = append(parts, fmt.Sprintf("%s (vault %s): active", name, pair.Bucket))
		} else {
			failures = append(failures, fmt.Sprintf("vault %s: %s", pair.Bucket, st.Reason))
			parts = append(parts, fmt.Sprintf("%s (vault %s): failed, %s", name, pair.Bucket, st.Reason))
		}
		// Per-node progress: every node's part so far, in the job's message.
		p.Update((i+1)*100/len(pairs), fmt.Sprintf("%d of %d endpoints configured: %s", i+1, len(pairs), strings.Join(parts, "; ")))
	}
	if len(failures) > 0 {
		return "", errs.Fail(errs.Internal, nodes.ReasonDown, "cvs3Endpoints",
			"The S3 endpoint could not be configured: %s.", strings.Join(failures, "; "))
	}
	return fmt.Sprintf("%d S3 endpoints configured", active), nil
}
