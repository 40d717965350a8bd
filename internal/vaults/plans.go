package vaults

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Plan is a set of defaults a vault is created with (Commvault plan,
// planId/planName). Every plan makes its vaults versioned and keeps the
// versions that are overwritten or deleted for RetentionDays, after which
// the data-aging job removes them (aging.go). Plans are global: every
// tenant may use every plan.
type Plan struct {
	Schema int `json:"_v"`
	// ID is the int id (Commvault planId).
	ID int32 `json:"id"`
	// Name is unique: 1..128 printable characters (spaces allowed).
	Name string `json:"name"`
	// Type is Commvault's plan type; always PlanTypeServer (vault plans are
	// server plans).
	Type string `json:"type"`
	// RetentionDays is how long a noncurrent version (overwritten or
	// deleted) is kept, in days; 1..MaxRetentionDays.
	RetentionDays int `json:"retention_days"`
	// StoragePool is the storage pool name the plan was created with
	// (informational: every vault stores in Coffer's one data directory).
	StoragePool string `json:"pool,omitempty"`
	// WORM is Commvault's WORM storage lock: every vault of the plan has
	// Object Lock with a Compliance default retention of RetentionDays,
	// and RetentionDays can be raised but never lowered. Once on, it stays
	// on (ApplyPatch).
	WORM    bool      `json:"worm,omitempty"`
	Created time.Time `json:"created"`
}

const planSchema = 1

// Plan defaults and bounds.
const (
	PlanTypeServer       = "Server"
	DefaultRetentionDays = 30
	MaxRetentionDays     = 36500
)

// Plan reasons (Kind in the comment).
const (
	ReasonPlanNotFound    errs.Reason = "plan.not_found"         // NotFound
	ReasonPlanExists      errs.Reason = "plan.exists"            // AlreadyExists
	ReasonPlanNameInvalid errs.Reason = "plan.name_invalid"      // InvalidArgument
	ReasonPlanRetention   errs.Reason = "plan.retention_invalid" // InvalidArgument
	ReasonPlanInUse       errs.Reason = "plan.in_use"            // InUse (a vault uses it)

	// The WORM storage lock (Kind InvalidArgument).
	ReasonPlanWORMPermanent   errs.Reason = "plan.worm_permanent"   // the WORM storage lock cannot be turned off
	ReasonPlanRetentionLocked errs.Reason = "plan.retention_locked" // retention lowered under the WORM storage lock
)

// CreatePlanInput creates a plan (Commvault POST /V4/ServerPlan).
type CreatePlanInput struct {
	Name string
	// RetentionDays: 0 means DefaultRetentionDays.
	RetentionDays int
	StoragePool   string
	// WORM turns the WORM storage lock on (see Plan.WORM).
	WORM bool
}

// PlanPatch changes a plan; nil fields stay.
type PlanPatch struct {
	// RetentionDays: 1..MaxRetentionDays; not lower than the current
	// value while the WORM storage lock is on.
	RetentionDays *int
	// WORM: true turns the WORM storage lock on; false is refused once it
	// is on.
	WORM *bool
}

func validatePlanName(name string) error {
	if name == "" || len(name) > 128 || strings.TrimSpace(name) != name {
		return errs.Fail(errs.InvalidArgument, ReasonPlanNameInvalid, "planName",
			"Plan names have 1 to 128 characters and do not begin or end with a space.")
	}
	if !utf8.ValidString(name) {
		return errs.Fail(errs.InvalidArgument, ReasonPlanNameInvalid, "planName", "Plan names must be valid UTF-8.")
	}
	for _, r := range name {
		if r < ' ' || r == 0x7f {
			return errs.Fail(errs.InvalidArgument, ReasonPlanNameInvalid, "planName", "Plan names must not contain control characters.")
		}
	}
	return nil
}

func validateRetention(days int) error {
	if days < 1 || days > MaxRetentionDays {
		return errs.Fail(errs.InvalidArgument, ReasonPlanRetention, "retentionPeriodDays",
			"The retention must be between 1 and %d days.", MaxRetentionDays)
	}
	return nil
}

// PlanNotFound is the error of a plan that does not exist, naming field.
func PlanNotFound(field, format string, args ...any) error {
	return errs.Fail(errs.NotFound, ReasonPlanNotFound, field, format, args...)
}

func (s *Service) getPlan(tx kv.Reader, id int32) (Plan, bool, error) {
	var p Plan
	ok, err := kv.GetJSON(tx, s.key32('p', id), &p)
	return p, ok, err
}

// CreatePlan creates a plan. Errors: ReasonPlanNameInvalid,
// ReasonPlanRetention (outside 1..MaxRetentionDays), ReasonPlanExists.
func (s *Service) CreatePlan(ctx context.Context, in CreatePlanInput) (Plan, error) {
	if err := validatePlanName(in.Name); err != nil {
		return Plan{}, err
	}
	if in.RetentionDays == 0 {
		in.RetentionDays = DefaultRetentionDays
	}
	if err := validateRetention(in.RetentionDays); err != nil {
		return Plan{}, err
	}
	if len(in.StoragePool) > 256 {
		return Plan{}, errs.Field(errs.InvalidArgument, "storagePool", "The storage pool name is too long.")
	}
	var p Plan
	err := s.update(ctx, "create plan", func(tx kv.Txn) error {
		if ok, err := kv.GetJSON(tx, s.key('P', in.Name), new(int32)); err != nil {
			return err
		} else if ok {
			return errs.Fail(errs.AlreadyExists, ReasonPlanExists, "planName", "A plan named %q already exists.", in.Name)
		}
		id, err := s.o.NextPlanID(tx)
		if err != nil {
			return err
		}
		p = Plan{Schema: planSchema, ID: id, Name: in.Name, Type: PlanTypeServer, RetentionDays: in.RetentionDays,
			StoragePool: in.StoragePool, WORM: in.WORM, Created: s.now().UTC()}
		if err := kv.SetJSON(tx, s.key32('p', id), &p); err != nil {
			return err
		}
		return kv.SetJSON(tx, s.key('P', in.Name), id)
	})
	if err != nil {
		return Plan{}, err
	}
	return p, nil
}

// GetPlan returns a plan by id (ReasonPlanNotFound).
func (s *Service) GetPlan(ctx context.Context, id int32) (Plan, error) {
	var p Plan
	err := s.view(ctx, "get plan", func(tx kv.Reader) error {
		var ok bool
		var err error
		if p, ok, err = s.getPlan(tx, id); err != nil {
			return err
		} else if !ok {
			return PlanNotFound("planId", "Plan %d does not exist.", id)
		}
		return nil
	})
	return p, err
}

// GetPlanByName returns a plan by name (ReasonPlanNotFound).
func (s *Service) GetPlanByName(ctx context.Context, name string) (Plan, error) {
	var p Plan
	err := s.view(ctx, "get plan", func(tx kv.Reader) error {
		var id int32
		if ok, err := kv.GetJSON(tx, s.key('P', name), &id); err != nil {
			return err
		} else if !ok {
			return PlanNotFound("planName", "Plan %q does not exist.", name)
		}
		var ok bool
		var err error
		if p, ok, err = s.getPlan(tx, id); err != nil {
			return err
		} else if !ok {
			return PlanNotFound("planName", "Plan %q does not exist.", name)
		}
		return nil
	})
	return p, err
}

// ListPlans returns every plan by id.
func (s *Service) ListPlans(ctx context.Context) ([]Plan, error) {
	var out []Plan
	err := s.view(ctx, "list plans", func(tx kv.Reader) error {
		out = nil
		return kv.ScanJSON(tx, s.key('p'), func(p Plan) error { out = append(out, p); return nil })
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// PlanUsage counts the vaults that use each plan, by plan id.
func (s *Service) PlanUsage(ctx context.Context) (map[int32]int, error) {
	n := map[int32]int{}
	err := s.view(ctx, "plan usage", func(tx kv.Reader) error {
		clear(n)
		return kv.ScanJSON(tx, s.key('b'), func(v Record) error {
			if v.PlanID != 0 {
				n[v.PlanID]++
			}
			return nil
		})
	})
	return n, err
}

// DeletePlan deletes a plan no vault uses (ReasonPlanInUse otherwise).
func (s *Service) DeletePlan(ctx context.Context, id int32) error {
	var users []Record
	err := s.view(ctx, "delete plan", func(tx kv.Reader) error {
		users = nil
		return kv.ScanJSON(tx, s.key('b'), func(v Record) error {
			if v.PlanID == id {
				users = append(users, v)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	dead := map[string]bool{} // records of deleted buckets, by bucket uuid
	for _, v := range users {
		if live, err := s.Live(ctx, v); err != nil {
			return err
		} else if live {
			return errs.Fail(errs.InUse, ReasonPlanInUse, "planId", "Plan %d is used by vault %q.", id, v.Bucket)
		}
		dead[v.BucketUUID] = true
	}
	return s.update(ctx, "delete plan", func(tx kv.Txn) error {
		p, ok, err := s.getPlan(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return PlanNotFound("planId", "Plan %d does not exist.", id)
		}
		// A vault recorded since the check above uses the plan too.
		if err := kv.ScanJSON(tx, s.key('b'), func(v Record) error {
			if v.PlanID == id && !dead[v.BucketUUID] {
				return errs.Fail(errs.InUse, ReasonPlanInUse, "planId", "Plan %d is used by vault %q.", id, v.Bucket)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Delete(s.key32('p', id)); err != nil {
			return err
		}
		return tx.Delete(s.key('P', p.Name))
	})
}

// ValidatePatch checks a patch's values on their own (ReasonPlanRetention),
// before the plan it applies to is read.
func ValidatePatch(in PlanPatch) error {
	if in.RetentionDays != nil {
		return validateRetention(*in.RetentionDays)
	}
	return nil
}

// ApplyPatch applies a patch to a plan under the rules of the WORM storage
// lock: it cannot be turned off (ReasonPlanWORMPermanent) and, while it is
// on, the retention can be raised but not lowered
// (ReasonPlanRetentionLocked).
func ApplyPatch(p Plan, in PlanPatch) (Plan, error) {
	if in.WORM != nil {
		if !*in.WORM && p.WORM {
			return Plan{}, errs.Fail(errs.InvalidArgument, ReasonPlanWORMPermanent, "isWormStorage",
				"The WORM storage lock of plan %q is enabled; it cannot be disabled.", p.Name)
		}
		p.WORM = p.WORM || *in.WORM
	}
	if in.RetentionDays != nil {
		if p.WORM && *in.RetentionDays < p.RetentionDays {
			return Plan{}, errs.Fail(errs.InvalidArgument, ReasonPlanRetentionLocked, "retentionPeriodDays",
				"Plan %q has the WORM storage lock: its retention of %d days can be raised but not lowered (to %d days).",
				p.Name, p.RetentionDays, *in.RetentionDays)
		}
		p.RetentionDays = *in.RetentionDays
	}
	return p, nil
}

// PatchPlan applies a patch (ValidatePatch, ApplyPatch) to the stored plan
// in one transaction and returns the plan as stored (ReasonPlanNotFound).
func (s *Service) PatchPlan(ctx context.Context, id int32, in PlanPatch) (Plan, error) {
	if err := ValidatePatch(in); err != nil {
		return Plan{}, err
	}
	var p Plan
	err := s.update(ctx, "update plan", func(tx kv.Txn) error {
		cur, ok, err := s.getPlan(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return PlanNotFound("planId", "Plan %d does not exist.", id)
		}
		if p, err = ApplyPatch(cur, in); err != nil { // the rules again, on the record of the transaction
			return err
		}
		return kv.SetJSON(tx, s.key32('p', id), &p)
	})
	if err != nil {
		return Plan{}, err
	}
	return p, nil
}
