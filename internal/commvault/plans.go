package commvault

import (
	"strings"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// Plans are the core's plans: server plans whose one backup destination
// carries the retention in days that a vault created with the plan keeps
// noncurrent versions for.

type createPlanBody struct {
	PlanName *string `json:"planName"`
	// RetentionPeriodDays at the top level is Coffer's shorthand for the
	// first backup destination's.
	RetentionPeriodDays *int64 `json:"retentionPeriodDays"`
	// IsWormStorage at the top level is Coffer's shorthand for the first
	// backup destination's storagePool.isWormStorage: the WORM storage
	// lock.
	IsWormStorage      *bool `json:"isWormStorage"`
	BackupDestinations []struct {
		BackupDestinationName *string `json:"backupDestinationName"`
		RetentionPeriodDays   *int64  `json:"retentionPeriodDays"`
		IsWormStorage         *bool   `json:"isWormStorage"`
		StoragePool           *struct {
			Name          *string `json:"name"`
			IsWormStorage *bool   `json:"isWormStorage"`
		} `json:"storagePool"`
	} `json:"backupDestinations"`
}

// WORM lock flags as Commvault's storage pools report them
// (storagePoolDetails.copyInfo.wormStorageFlag, cvpysdk's WORMLockType): a
// plan with the WORM storage lock has the compliance lock (1), the WORM
// storage lock (2) and object-level WORM (4): Object Lock on each version.
const (
	wormFlagCompliance = 1
	wormFlagStorage    = 2
	wormFlagObject     = 4
	wormFlagsLocked    = wormFlagCompliance | wormFlagStorage | wormFlagObject
)

func wormFlags(worm bool) int {
	if worm {
		return wormFlagsLocked
	}
	return 0
}

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

// planPool is the storage pool type a plan shows: 1, DEDUPLICATION, one of
// the types Commvault's own tools accept for vault plans.
const planPoolType = 1

func destinationJSON(p core.Plan) map[string]any {
	pool := p.StoragePool
	if pool == "" {
		pool = "coffer"
	}
	return map[string]any{
		"planBackupDestination": idName(1, "Primary"),
		"retentionPeriodDays":   p.RetentionDays,
		"retentionRuleType":     "RETENTION_PERIOD",
		"storagePool": map[string]any{"id": 1, "name": pool, "storagePoolType": planPoolType,
			"isWormStorage": p.WORM, "wormStorageFlag": wormFlags(p.WORM)},
		"isDefault":     true,
		"isWormStorage": p.WORM,
	}
}

func (h *Handler) planJSON(p core.Plan, used int) map[string]any {
	return map[string]any{
		"plan":                idName(p.ID, p.Name),
		"planType":            p.Type,
		"status":              "ENABLED",
		"numberOfCopies":      1,
		"associatedEntities":  used,
		"retentionPeriodDays": p.RetentionDays,
		"isWormStorage":       p.WORM,
		"backupDestinations":  []any{destinationJSON(p)},
		"createdTime":         epoch(p.Created),
	}
}

// createPlan is POST /V4/ServerPlan: {planName, backupDestinations:
// [{backupDestinationName, retentionPeriodDays, storagePool: {name}}]} →
// {plan: {id, name}, errors: []}.
func (h *Handler) createPlan(rq *request) (response, error) {
	var in createPlanBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	if in.PlanName == nil || strings.TrimSpace(*in.PlanName) == "" {
		return response{}, errBadInput("planName", "planName is required.")
	}
	days := in.RetentionPeriodDays
	worm := deref(in.IsWormStorage)
	var pool string
	if len(in.BackupDestinations) > 0 {
		d := in.BackupDestinations[0]
		if d.RetentionPeriodDays != nil {
			days = d.RetentionPeriodDays
		}
		if d.StoragePool != nil && d.StoragePool.Name != nil {
			pool = *d.StoragePool.Name
		}
		worm = worm || deref(d.IsWormStorage) || d.StoragePool != nil && deref(d.StoragePool.IsWormStorage)
	}
	cp := core.CreatePlanInput{Name: *in.PlanName, StoragePool: pool, WORM: worm}
	if days != nil {
		if *days <= 0 || *days > core.MaxRetentionDays {
			return response{}, errBadInput("retentionPeriodDays", "retentionPeriodDays must be between 1 and %d.", core.MaxRetentionDays)
		}
		cp.RetentionDays = int(*days)
	}
	p, err := h.core.CreatePlan(rq.ctx, cp)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"plan": idName(p.ID, p.Name), "errors": []any{}}), nil
}

func (h *Handler) planByPath(rq *request) (core.Plan, int, error) {
	id, err := rq.id(0, "planId")
	if err != nil {
		return core.Plan{}, 0, err
	}
	p, err := h.core.GetPlan(rq.ctx, id)
	if err != nil {
		return core.Plan{}, 0, err
	}
	usage, err := h.core.PlanUsage(rq.ctx)
	return p, usage[p.ID], err
}

// getPlan is GET /V4/ServerPlan/{id}.
func (h *Handler) getPlan(rq *request) (response, error) {
	p, used, err := h.planByPath(rq)
	if err != nil {
		return response{}, err
	}
	return ok(h.planJSON(p, used)), nil
}

// deletePlan is DELETE /V4/ServerPlan/{id} (refused while a vault uses it).
func (h *Handler) deletePlan(rq *request) (response, error) {
	id, err := rq.id(0, "planId")
	if err != nil {
		return response{}, err
	}
	if err := h.core.DeletePlan(rq.ctx, id); err != nil {
		return response{}, err
	}
	return genericOK(""), nil
}

// planSummaries is GET /V4/Plan/Summary → {plans: [...], plansCount}.
func (h *Handler) planSummaries(rq *request) (response, error) {
	plans, err := h.core.ListPlans(rq.ctx)
	if err != nil {
		return response{}, err
	}
	usage, err := h.core.PlanUsage(rq.ctx)
	if err != nil {
		return response{}, err
	}
	list := []map[string]any{}
	for _, p := range plans {
		list = append(list, h.planJSON(p, usage[p.ID]))
	}
	return ok(map[string]any{"plans": list, "plansCount": len(list)}), nil
}

// planSummary is GET /V4/Plan/Summary/{id}.
func (h *Handler) planSummary(rq *request) (response, error) {
	p, used, err := h.planByPath(rq)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"plans": []any{h.planJSON(p, used)}, "plansCount": 1}), nil
}

// v2PlanJSON is a plan in the older /V2/Plan shape: plans[].plan.planId and
// planName (what Commvault's MCP server and cvpysdk's Plans._get_plans
// read), and what cvpysdk's Plan._get_plan_properties reads without a
// default: summary.plan.planName, storage.copy[].{StoragePolicyCopy.
// copyName, useGlobalPolicy.storagePolicyName, retentionRules.
// retainBackupDataForDays, isDefault, isSnapCopy}, operationWindow.ruleId
// and fullOperationWindow.ruleId (0: none).
func v2PlanJSON(p core.Plan) map[string]any {
	pool := p.StoragePool
	if pool == "" {
		pool = defaultPool
	}
	ref := map[string]any{"planId": p.ID, "planName": p.Name, "_type_": 158,
		"entityInfo": map[string]any{"companyName": "", "companyId": 0}}
	return map[string]any{
		"plan":    ref,
		"subtype": planSubtypeServer,
		"type":    2,
		"summary": map[string]any{"plan": ref, "type": 2, "subtype": planSubtypeServer, "slaInMinutes": 1440,
			"rpoInMinutes": 1440, "numCopies": 1, "planStatusFlag": 0, "description": "",
			"restrictions": 1, "numAssocEntities": 0},
		"storage": map[string]any{"copy": []any{map[string]any{
			"copyName": "Primary", "isDefault": 1, "isSnapCopy": 0, "storagePoolType": planPoolType,
			"wormStorageFlag":   wormFlags(p.WORM),
			"copyFlags":         map[string]any{"wormCopy": b01(p.WORM)},
			"StoragePolicyCopy": map[string]any{"copyName": "Primary", "copyId": p.ID},
			"useGlobalPolicy":   map[string]any{"storagePolicyName": pool, "storagePolicyId": 1},
			"retentionRules":    map[string]any{"retainBackupDataForDays": p.RetentionDays},
		}}},
		"operationWindow":     map[string]any{"ruleId": 0},
		"fullOperationWindow": map[string]any{"ruleId": 0},
	}
}

// planSubtypeServer is Commvault's code for "Server" plans.
const planSubtypeServer = 33554437

// v2Plans is GET /V2/Plan[?subType=Server]: every plan is a server plan, so
// another subType lists none. Other filters (fq, fl) are ignored.
func (h *Handler) v2Plans(rq *request) (response, error) {
	plans, err := h.core.ListPlans(rq.ctx)
	if err != nil {
		return response{}, err
	}
	list := []map[string]any{}
	if st := queryGet(rq.r, "subType"); st == "" || strings.EqualFold(st, "Server") {
		for _, p := range plans {
			list = append(list, v2PlanJSON(p))
		}
	}
	return ok(map[string]any{"plans": list}), nil
}

// v2Plan is GET /V2/Plan/{id}.
func (h *Handler) v2Plan(rq *request) (response, error) {
	p, _, err := h.planByPath(rq)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"plan": v2PlanJSON(p)}), nil
}

// modifyDestinationBody is the body of PUT
// /V4/ServerPlan/{planId}/BackupDestination/{backupDestinationId}
// (Commvault's "Modify Backup Destination for a Plan"): the fields Coffer
// acts on.
type modifyDestinationBody struct {
	RetentionPeriodDays *int64 `json:"retentionPeriodDays"`
	IsWormStorage       *bool  `json:"isWormStorage"`
	StoragePool         *struct {
		IsWormStorage *bool `json:"isWormStorage"`
	} `json:"storagePool"`
}

// modifyDestination is PUT /V4/ServerPlan/{planId}/BackupDestination/
// {backupDestinationId}: a plan's one destination (id 1, "Primary")
// changes its retention or turns the WORM storage lock on. Under the lock
// the retention can be raised, not lowered; the lock is irreversible
// (core.UpdatePlan). → {errorCode: 0, errorMessage: ""}.
func (h *Handler) modifyDestination(rq *request) (response, error) {
	id, err := rq.id(0, "planId")
	if err != nil {
		return response{}, err
	}
	dest, err := rq.id(1, "backupDestinationId")
	if err != nil {
		return response{}, err
	}
	if _, err := h.core.GetPlan(rq.ctx, id); err != nil {
		return response{}, err
	}
	if dest != 1 {
		return response{}, errs.Field(errs.NotFound, "backupDestinationId", "Backup destination %d does not exist in plan %d.", dest, id)
	}
	var in modifyDestinationBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	var p core.PlanPatch
	if d := in.RetentionPeriodDays; d != nil {
		if *d <= 0 || *d > core.MaxRetentionDays {
			return response{}, errBadInput("retentionPeriodDays", "retentionPeriodDays must be between 1 and %d.", core.MaxRetentionDays)
		}
		n := int(*d)
		p.RetentionDays = &n
	}
	p.WORM = in.IsWormStorage
	if in.StoragePool != nil && in.StoragePool.IsWormStorage != nil {
		if p.WORM != nil && *p.WORM != *in.StoragePool.IsWormStorage {
			return response{}, errBadInput("isWormStorage", "isWormStorage and storagePool.isWormStorage disagree.")
		}
		p.WORM = in.StoragePool.IsWormStorage
	}
	if _, err := h.core.UpdatePlan(rq.ctx, id, p); err != nil {
		return response{}, err
	}
	return genericOK(""), nil
}
