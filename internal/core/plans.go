package core

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
// the data-aging job removes them (retention.go). Plans are global: every
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
	// on (planlock.go).
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
	ReasonPlanNotFound    Reason = "plan.not_found"         // NotFound
	ReasonPlanExists      Reason = "plan.exists"            // AlreadyExists
	ReasonPlanNameInvalid Reason = "plan.name_invalid"      // InvalidArgument
	ReasonPlanRetention   Reason = "plan.retention_invalid" // InvalidArgument
	ReasonPlanInUse       Reason = "plan.in_use"            // InUse (a vault uses it)
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

func validatePlanName(name string) error {
	if name == "" || len(name) > 128 || strings.TrimSpace(name) != name {
		return fail(errs.InvalidArgument, ReasonPlanNameInvalid, "planName",
			"Plan names have 1 to 128 characters and do not begin or end with a space.")
	}
	if !utf8.ValidString(name) {
		return fail(errs.InvalidArgument, ReasonPlanNameInvalid, "planName", "Plan names must be valid UTF-8.")
	}
	for _, r := range name {
		if r < ' ' || r == 0x7f {
			return fail(errs.InvalidArgument, ReasonPlanNameInvalid, "planName", "Plan names must not contain control characters.")
		}
	}
	return nil
}

func planNotFound(field, format string, args ...any) error {
	return fail(errs.NotFound, ReasonPlanNotFound, field, format, args...)
}

func getPlan(tx kv.Reader, id int32) (Plan, bool, error) {
	var p Plan
	ok, err := kv.GetJSON(tx, vkey32('p', id), &p)
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
	if in.RetentionDays < 1 || in.RetentionDays > MaxRetentionDays {
		return Plan{}, fail(errs.InvalidArgument, ReasonPlanRetention, "retentionPeriodDays",
			"The retention must be between 1 and %d days.", MaxRetentionDays)
	}
	if len(in.StoragePool) > 256 {
		return Plan{}, errs.Field(errs.InvalidArgument, "storagePool", "The storage pool name is too long.")
	}
	var p Plan
	err := s.update(ctx, "create plan", func(tx kv.Txn) error {
		if ok, err := kv.GetJSON(tx, vkey('P', in.Name), new(int32)); err != nil {
			return err
		} else if ok {
			return fail(errs.AlreadyExists, ReasonPlanExists, "planName", "A plan named %q already exists.", in.Name)
		}
		id, err := nextID32(tx, "plan")
		if err != nil {
			return err
		}
		p = Plan{Schema: planSchema, ID: id, Name: in.Name, Type: PlanTypeServer, RetentionDays: in.RetentionDays,
			StoragePool: in.StoragePool, WORM: in.WORM, Created: s.now().UTC()}
		if err := kv.SetJSON(tx, vkey32('p', id), &p); err != nil {
			return err
		}
		return kv.SetJSON(tx, vkey('P', in.Name), id)
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
		if p, ok, err = getPlan(tx, id); err != nil {
			return err
		} else if !ok {
			return planNotFound("planId", "Plan %d does not exist.", id)
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
		if ok, err := kv.GetJSON(tx, vkey('P', name), &id); err != nil {
			return err
		} else if !ok {
			return planNotFound("planName", "Plan %q does not exist.", name)
		}
		var ok bool
		var err error
		if p, ok, err = getPlan(tx, id); err != nil {
			return err
		} else if !ok {
			return planNotFound("planName", "Plan %q does not exist.", name)
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
		return scanJSON(tx, vkey('p'), func(p Plan) error { out = append(out, p); return nil })
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// PlanUsage counts the vaults that use each plan, by plan id.
func (s *Service) PlanUsage(ctx context.Context) (map[int32]int, error) {
	n := map[int32]int{}
	err := s.view(ctx, "plan usage", func(tx kv.Reader) error {
		clear(n)
		return scanJSON(tx, vkey('b'), func(v vaultRecord) error {
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
	var users []vaultRecord
	err := s.view(ctx, "delete plan", func(tx kv.Reader) error {
		users = nil
		return scanJSON(tx, vkey('b'), func(v vaultRecord) error {
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
		if live, err := s.vaultLive(ctx, v); err != nil {
			return err
		} else if live {
			return fail(errs.InUse, ReasonPlanInUse, "planId", "Plan %d is used by vault %q.", id, v.Bucket)
		}
		dead[v.BucketUUID] = true
	}
	return s.update(ctx, "delete plan", func(tx kv.Txn) error {
		p, ok, err := getPlan(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return planNotFound("planId", "Plan %d does not exist.", id)
		}
		// A vault recorded since the check above uses the plan too.
		if err := scanJSON(tx, vkey('b'), func(v vaultRecord) error {
			if v.PlanID == id && !dead[v.BucketUUID] {
				return fail(errs.InUse, ReasonPlanInUse, "planId", "Plan %d is used by vault %q.", id, v.Bucket)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Delete(vkey32('p', id)); err != nil {
			return err
		}
		return tx.Delete(vkey('P', p.Name))
	})
}
