package vaults

import (
	"context"
	"fmt"

	"coffer/internal/errs"
	"coffer/internal/nodes"
)

// EntityRef names an entity by int id or, when ID is 0, by name.
type EntityRef struct {
	ID   int32
	Name string
}

func (r EntityRef) String() string {
	if r.ID != 0 {
		return fmt.Sprint(r.ID)
	}
	return fmt.Sprintf("%q", r.Name)
}

// ResolvePlan returns the plan a reference names: by id (a name given
// too must be its name, ReasonVaultPlanMismatch) or by name;
// ReasonVaultPlanRequired without either, ReasonPlanNotFound.
func (s *Service) ResolvePlan(ctx context.Context, ref EntityRef) (Plan, error) {
	switch {
	case ref.ID > 0:
		p, err := s.GetPlan(ctx, ref.ID)
		if err != nil {
			return Plan{}, err
		}
		if ref.Name != "" && ref.Name != p.Name {
			return Plan{}, errs.Fail(errs.InvalidArgument, ReasonVaultPlanMismatch, "plan.planName",
				"Plan %d is named %q, not %q.", p.ID, p.Name, ref.Name)
		}
		return p, nil
	case ref.Name != "":
		return s.GetPlanByName(ctx, ref.Name)
	}
	return Plan{}, errs.Fail(errs.InvalidArgument, ReasonVaultPlanRequired, "plan", "A plan (plan.planId) is required.")
}

// ResolveNode returns the node a reference names, by client id or name
// (ReasonVaultRefInvalid without either; nodes.ReasonNotFound, naming
// field).
func (s *Service) ResolveNode(ctx context.Context, ref EntityRef, field string) (nodes.Node, error) {
	var n nodes.Node
	var err error
	switch {
	case ref.ID > 0:
		n, err = s.o.Nodes.Get(ctx, ref.ID)
	case ref.Name != "":
		n, err = s.o.Nodes.GetByName(ctx, ref.Name)
	default:
		return nodes.Node{}, errs.Fail(errs.InvalidArgument, ReasonVaultRefInvalid, field, "%s needs a clientId.", field)
	}
	if errs.KindOf(err) == errs.NotFound {
		return nodes.Node{}, errs.Fail(errs.NotFound, nodes.ReasonNotFound, field, "Client %s does not exist.", ref)
	}
	return n, err
}
