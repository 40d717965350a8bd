package core

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/policy"
)

// Policy is an identity policy of a tenant (ONTAP object-store-server
// policy; a Commvault role): statements without principals that apply to
// the members of the groups attaching it. Every tenant has the read-only
// built-ins FullAccess, NoS3Access and ReadOnlyAccess (policy.BuiltIn).
type Policy struct {
	Tenant string
	// Name is unique in its tenant: 1..128 characters of [0-9A-Za-z_+=,.@-].
	Name    string
	Comment string
	// ReadOnly marks a built-in (ONTAP "read-only").
	ReadOnly bool
	// Document holds the statements (principals nil). Convert with
	// policy.ToONTAP / policy.FromONTAP for ONTAP's statement form.
	Document policy.Document
	Created  time.Time
}

// policyRecord is a stored user-defined policy.
type policyRecord struct {
	Schema  int             `json:"_v"`
	Tenant  string          `json:"tenant"`
	Name    string          `json:"name"`
	Comment string          `json:"comment,omitempty"`
	Doc     policy.Document `json:"doc"`
	Created time.Time       `json:"created"`
}

func (r *policyRecord) policy() Policy {
	return Policy{Tenant: r.Tenant, Name: r.Name, Comment: r.Comment, Document: r.Doc, Created: r.Created}
}

const policySchema = 1

// CreatePolicyInput creates a policy (ONTAP POST .../policies).
type CreatePolicyInput struct {
	Tenant   string
	Name     string
	Comment  string
	Document policy.Document
}

// PolicyPatch changes a policy; nil fields stay, Document replaces every
// statement.
type PolicyPatch struct {
	Comment  *string
	Document *policy.Document
}

func validatePolicyName(name string) error {
	if len(name) < 1 || len(name) > 128 {
		return fail(errs.InvalidArgument, ReasonPolicyNameLength, "name", "Policy names must have between 1 and 128 characters.")
	}
	if !nameChars(name) {
		return fail(errs.InvalidArgument, ReasonPolicyNameChars, "name",
			"The policy name contains invalid characters. Valid characters are 0-9, A-Z, a-z, \"_\", \"+\", \"=\", \",\", \".\", \"@\", and \"-\".")
	}
	return nil
}

func isBuiltIn(name string) bool {
	_, ok := policy.BuiltIn(name)
	return ok
}

// lookupPolicy finds a built-in or stored policy of a tenant.
func lookupPolicy(tx kv.Reader, tenant, name string) (Policy, bool, error) {
	if doc, ok := policy.BuiltIn(name); ok {
		return Policy{Tenant: tenant, Name: name, ReadOnly: true, Document: doc}, true, nil
	}
	var r policyRecord
	ok, err := kv.GetJSON(tx, key('p', tenant, name), &r)
	if err != nil || !ok {
		return Policy{}, false, err
	}
	return r.policy(), true, nil
}

// documentRules says which checks validateDocument applies.
type documentRules struct {
	// bucket, when set, is the bucket a bucket policy belongs to: every
	// resource must refer to it, and ONTAP's size limits apply.
	bucket string
	// identity: statements must not name principals.
	identity bool
}

// maxPolicyItems is ONTAP's limit on a bucket policy's statements, and on
// each statement's principals and resources.
const maxPolicyItems = 10

// validateDocument checks a policy document and compiles it.
func validateDocument(doc *policy.Document, r documentRules) error {
	const field = "statements"
	bad := func(reason Reason, format string, args ...any) error {
		return fail(errs.MalformedPolicy, reason, field, format, args...)
	}
	if r.bucket != "" && len(doc.Statements) > maxPolicyItems {
		return bad(ReasonPolicyTooLarge, "A bucket policy has at most %d statements.", maxPolicyItems)
	}
	for i, st := range doc.Statements {
		if st.Effect != policy.EffectAllow && st.Effect != policy.EffectDeny {
			return bad(ReasonPolicyInvalid, "Statement %d: the effect must be allow or deny.", i)
		}
		if r.identity && len(st.Principals) > 0 {
			return bad(ReasonPolicyPrincipal, "Statement %d: policies attached to groups cannot name principals.", i)
		}
		if r.bucket != "" && (len(st.Principals) > maxPolicyItems || len(st.Resources) > maxPolicyItems) {
			return bad(ReasonPolicyTooLarge, "Statement %d: at most %d principals and %d resources.", i, maxPolicyItems, maxPolicyItems)
		}
		if len(st.Actions) == 0 {
			return bad(ReasonPolicyInvalidAction, "Statement %d: at least one action is required.", i)
		}
		for _, a := range st.Actions {
			if !strings.ContainsAny(a, "*?") && !policy.IsKnownAction(a) {
				return bad(ReasonPolicyInvalidAction, "Statement %d: %q is not a valid action name.", i, a)
			}
		}
		for _, p := range st.Principals {
			if p == "" || strings.ContainsAny(p, " \t") {
				return bad(ReasonPolicyPrincipal, "Statement %d: %q is not a valid principal.", i, p)
			}
		}
		for _, c := range st.Conditions {
			op := strings.TrimSuffix(c.Operator, "IfExists")
			if op != "IpAddress" && op != "NotIpAddress" {
				continue
			}
			for _, v := range c.Values {
				if a, err := netip.ParseAddr(v); err == nil && a.IsValid() {
					continue
				}
				p, err := netip.ParsePrefix(v)
				if err != nil {
					return bad(ReasonPolicyCondition, "Statement %d: %q is not an IP address or CIDR block.", i, v)
				}
				if p.Masked() != p {
					return bad(ReasonPolicyCIDRHostBits, "Statement %d: the CIDR block %q has host bits set.", i, v)
				}
			}
		}
	}
	if err := doc.Compile(); err != nil {
		var e *errs.Error
		msg := "The policy is not valid."
		if errors.As(err, &e) && e.Msg != "" {
			msg = e.Msg
		}
		return bad(ReasonPolicyInvalid, "%s", msg)
	}
	if r.bucket != "" {
		if err := doc.CheckBucket(r.bucket); err != nil {
			return bad(ReasonPolicyResource, "Policy has invalid resource: every resource must be in bucket %q.", r.bucket)
		}
	}
	return nil
}

// CreatePolicy creates a policy. Errors: ReasonNotDataTenant,
// ReasonNoS3Service, name (ReasonPolicyNameLength, ReasonPolicyNameChars,
// ReasonPolicyReservedName), comment, ReasonPolicyExists, and the document
// rules (ReasonPolicyInvalidAction, ReasonPolicyInvalid, ...).
func (s *Service) CreatePolicy(ctx context.Context, in CreatePolicyInput) (Policy, error) {
	if err := validatePolicyName(in.Name); err != nil {
		return Policy{}, err
	}
	if isBuiltIn(in.Name) {
		return Policy{}, fail(errs.InvalidArgument, ReasonPolicyReservedName, "name",
			"%q is the name of a read-only policy.", in.Name)
	}
	if err := checkComment(in.Comment, 256); err != nil {
		return Policy{}, err
	}
	doc := in.Document
	if err := validateDocument(&doc, documentRules{identity: true}); err != nil {
		return Policy{}, err
	}
	rec := policyRecord{Schema: policySchema, Tenant: in.Tenant, Name: in.Name, Comment: in.Comment, Doc: doc,
		Created: s.now().UTC()}
	err := s.update(ctx, "create policy", func(tx kv.Txn) error {
		if _, _, err := requireService(tx, in.Tenant); err != nil {
			return err
		}
		if ok, err := kv.GetJSON(tx, key('p', in.Tenant, in.Name), &policyRecord{}); err != nil {
			return err
		} else if ok {
			return fail(errs.AlreadyExists, ReasonPolicyExists, "name", "A policy named %q already exists.", in.Name)
		}
		return kv.SetJSON(tx, key('p', in.Tenant, in.Name), &rec)
	})
	if err != nil {
		return Policy{}, err
	}
	s.identChanged()
	return rec.policy(), nil
}

// GetPolicy returns a tenant's policy, built-ins included.
func (s *Service) GetPolicy(ctx context.Context, tenant, name string) (Policy, error) {
	var p Policy
	err := s.view(ctx, "get policy", func(tx kv.Reader) error {
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		var ok bool
		var err error
		if p, ok, err = lookupPolicy(tx, tenant, name); err != nil {
			return err
		} else if !ok {
			return fail(errs.NotFound, ReasonPolicyNotFound, "name", "entry doesn't exist")
		}
		return nil
	})
	return p, err
}

// ListPolicies returns a tenant's policies: the built-ins, then the others,
// each in name order.
func (s *Service) ListPolicies(ctx context.Context, tenant string) ([]Policy, error) {
	var out []Policy
	err := s.view(ctx, "list policies", func(tx kv.Reader) error {
		out = nil
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		for _, n := range policy.BuiltInNames() {
			p, _, _ := lookupPolicy(tx, tenant, n)
			out = append(out, p)
		}
		return scan(tx, key('p', tenant, ""), func(_, raw []byte) error {
			var r policyRecord
			if err := jsonUnmarshal(raw, &r); err != nil {
				return err
			}
			out = append(out, r.policy())
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ReadOnly != out[j].ReadOnly {
			return out[i].ReadOnly
		}
		return out[i].Name < out[j].Name
	})
	return out, err
}

// UpdatePolicy changes a policy's comment or statements; the built-ins are
// read-only (ReasonPolicyReadOnly). Members of groups attaching it are
// authorized by the new statements from their next request.
func (s *Service) UpdatePolicy(ctx context.Context, tenant, name string, p PolicyPatch) (Policy, error) {
	if isBuiltIn(name) {
		return Policy{}, fail(errs.InvalidArgument, ReasonPolicyReadOnly, "name", "The policy %q is read-only.", name)
	}
	if p.Comment != nil {
		if err := checkComment(*p.Comment, 256); err != nil {
			return Policy{}, err
		}
	}
	var doc policy.Document
	if p.Document != nil {
		doc = *p.Document
		if err := validateDocument(&doc, documentRules{identity: true}); err != nil {
			return Policy{}, err
		}
	}
	var rec policyRecord
	err := s.update(ctx, "update policy", func(tx kv.Txn) error {
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		if ok, err := kv.GetJSON(tx, key('p', tenant, name), &rec); err != nil {
			return err
		} else if !ok {
			return fail(errs.NotFound, ReasonPolicyNotFound, "name", "entry doesn't exist")
		}
		if p.Comment != nil {
			rec.Comment = *p.Comment
		}
		if p.Document != nil {
			rec.Doc = doc
		}
		rec.Schema = policySchema
		return kv.SetJSON(tx, key('p', tenant, name), &rec)
	})
	if err != nil {
		return Policy{}, err
	}
	s.identChanged()
	return rec.policy(), nil
}

// DeletePolicy deletes a policy. Built-ins are read-only
// (ReasonPolicyReadOnly); a policy a group attaches by name is in use
// (InUse, ReasonPolicyInUse): detach it first.
func (s *Service) DeletePolicy(ctx context.Context, tenant, name string) error {
	if isBuiltIn(name) {
		return fail(errs.InvalidArgument, ReasonPolicyReadOnly, "name", "The policy %q is read-only.", name)
	}
	err := s.update(ctx, "delete policy", func(tx kv.Txn) error {
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		if ok, err := kv.GetJSON(tx, key('p', tenant, name), &policyRecord{}); err != nil {
			return err
		} else if !ok {
			return fail(errs.NotFound, ReasonPolicyNotFound, "name", "entry doesn't exist")
		}
		groups, err := tenantGroups(tx, tenant)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if indexOf(g.Policies, name) >= 0 {
				return fail(errs.InUse, ReasonPolicyInUse, "name", "The policy %q is attached to group %q.", name, g.Name)
			}
		}
		return tx.Delete(key('p', tenant, name))
	})
	if err != nil {
		return err
	}
	s.identChanged()
	return nil
}
