package core

import (
	"context"

	"coffer/internal/kv"
	"coffer/internal/vaults"
)

// Plans, vault records, the vault plane's jobs and data aging live in
// internal/vaults (records under 'v' 'p', 'P', 'b', 'a' and 'j'); the core
// wires it and keeps what composes other domains (vaults.go, planlock.go).
// The names below are the adapters' view of it.

type (
	// Plan is a set of defaults a vault is created with (Commvault plan);
	// see vaults.Plan.
	Plan = vaults.Plan
	// CreatePlanInput creates a plan (Commvault POST /V4/ServerPlan).
	CreatePlanInput = vaults.CreatePlanInput
	// PlanPatch changes a plan; nil fields stay.
	PlanPatch = vaults.PlanPatch
)

// Plan defaults and bounds.
const (
	PlanTypeServer       = vaults.PlanTypeServer
	DefaultRetentionDays = vaults.DefaultRetentionDays
	MaxRetentionDays     = vaults.MaxRetentionDays
)

// Plan reasons (internal/vaults; Kind in the comment).
const (
	ReasonPlanNotFound    = vaults.ReasonPlanNotFound    // NotFound
	ReasonPlanExists      = vaults.ReasonPlanExists      // AlreadyExists
	ReasonPlanNameInvalid = vaults.ReasonPlanNameInvalid // InvalidArgument
	ReasonPlanRetention   = vaults.ReasonPlanRetention   // InvalidArgument
	ReasonPlanInUse       = vaults.ReasonPlanInUse       // InUse (a vault uses it)
)

func (s *Service) newVaults() (*vaults.Service, error) {
	return vaults.New(vaults.Options{Store: s.kv, Prefix: []byte{nsVault}, Objects: s.obj,
		Jobs: s.jobs, Nodes: s.nodes,
		NextPlanID: func(tx kv.Txn) (int32, error) { return nextID32(tx, "plan") },
		Changed:    s.bucketChanged, Now: s.now, Log: s.log})
}

// CreatePlan creates a plan. Errors: ReasonPlanNameInvalid,
// ReasonPlanRetention (outside 1..MaxRetentionDays), ReasonPlanExists.
func (s *Service) CreatePlan(ctx context.Context, in CreatePlanInput) (Plan, error) {
	return s.vaults.CreatePlan(ctx, in)
}

// GetPlan returns a plan by id (ReasonPlanNotFound).
func (s *Service) GetPlan(ctx context.Context, id int32) (Plan, error) {
	return s.vaults.GetPlan(ctx, id)
}

// GetPlanByName returns a plan by name (ReasonPlanNotFound).
func (s *Service) GetPlanByName(ctx context.Context, name string) (Plan, error) {
	return s.vaults.GetPlanByName(ctx, name)
}

// ListPlans returns every plan by id.
func (s *Service) ListPlans(ctx context.Context) ([]Plan, error) { return s.vaults.ListPlans(ctx) }

// PlanUsage counts the vaults that use each plan, by plan id.
func (s *Service) PlanUsage(ctx context.Context) (map[int32]int, error) {
	return s.vaults.PlanUsage(ctx)
}

// DeletePlan deletes a plan no vault uses (ReasonPlanInUse otherwise).
func (s *Service) DeletePlan(ctx context.Context, id int32) error {
	return s.vaults.DeletePlan(ctx, id)
}
