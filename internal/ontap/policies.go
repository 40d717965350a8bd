package ontap

import (
	"net/http"

	"coffer/internal/core"
	"coffer/internal/ontap/collection"
	"coffer/internal/policy"
)

// S3 policies (object-store-server policies):
// /api/protocols/s3/services/{svm.uuid}/policies[/{name}]. Statements have
// no principals: a policy applies to the users of the groups attaching it.
// The read-only built-ins FullAccess, NoS3Access and ReadOnlyAccess are
// listed on every SVM with "read-only": true.

var policySchema = collection.Schema{Key: []string{"name"}, Keep: []string{"name"}}

var policyKnown = collection.NewFieldSet("name", "comment", "read-only", "statements.sid",
	"statements.effect", "statements.actions", "statements.resources", "statements.index",
	"svm.uuid", "svm.name", "svm._links.*", "_links.*")

// policyBody is a policy POST or PATCH body.
type policyBody struct {
	Name       *string                  `json:"name"`
	Comment    *string                  `json:"comment"`
	Statements *[]policy.ONTAPStatement `json:"statements"`
}

var policyStatementFields = []string{"statements.sid", "statements.effect", "statements.actions",
	"statements.resources"}

var (
	policyPostFields  = collection.NewFieldSet(append([]string{"name", "comment", "svm.*"}, policyStatementFields...)...)
	policyPatchFields = collection.NewFieldSet(append([]string{"comment"}, policyStatementFields...)...)
)

// statementsDoc converts ONTAP statements of a server policy.
func statementsDoc(stmts []policy.ONTAPStatement) (policy.Document, error) {
	doc, err := policy.FromONTAP(stmts)
	if err != nil {
		return doc, policyError(err, "statements")
	}
	return doc, nil
}

func parsePolicyPost(raw []byte) (core.CreatePolicyInput, error) {
	var b policyBody
	if _, err := decodeInto(raw, policyPostFields, &b); err != nil {
		return core.CreatePolicyInput{}, err
	}
	var in core.CreatePolicyInput
	if b.Name != nil {
		in.Name = *b.Name
	}
	if b.Comment != nil {
		in.Comment = *b.Comment
	}
	if b.Statements != nil {
		doc, err := statementsDoc(*b.Statements)
		if err != nil {
			return in, err
		}
		in.Document = doc
	}
	return in, nil
}

func parsePolicyPatch(raw []byte) (core.PolicyPatch, error) {
	var b policyBody
	if _, err := decodeInto(raw, policyPatchFields, &b); err != nil {
		return core.PolicyPatch{}, err
	}
	p := core.PolicyPatch{Comment: b.Comment}
	if b.Statements != nil {
		doc, err := statementsDoc(*b.Statements)
		if err != nil {
			return p, err
		}
		p.Document = &doc
	}
	return p, nil
}

// policyRecord renders a policy. A statement's index is not retrieved by
// GET (ONTAP 9.16's model: "It is not retrieved in the GET method") unless
// fields= names statements.index: Ansible's na_ontap_s3_policies compares
// the statements it sends with the ones it reads, and an extra key would
// make every run a change.
func policyRecord(t core.Tenant, p core.Policy, q collection.Query) map[string]any {
	withIndex := false
	for _, f := range q.Fields {
		withIndex = withIndex || f == "statements.index"
	}
	stmts := []any{}
	for i, s := range policy.ToONTAP(p.Document) {
		s.Principals, s.Conditions = nil, nil
		if withIndex {
			s.Index = &i
		}
		stmts = append(stmts, generic(s))
	}
	return map[string]any{
		"name": p.Name, "comment": p.Comment, "read-only": p.ReadOnly, "statements": stmts,
		"svm": svmRef(t.UUID, t.Name), "_links": links(policyHref(t.UUID, p.Name)),
	}
}

func (h *handler) policies(rq *request) (response, error) {
	t, err := h.serviceSVM(rq)
	if err != nil {
		return response{}, err
	}
	q, err := parseQuery(rq, policySchema)
	if err != nil {
		return response{}, err
	}
	if rq.Method == http.MethodPost {
		in, err := parsePolicyPost(rq.body())
		if err != nil {
			return response{}, err
		}
		in.Tenant = t.UUID
		p, err := h.core.CreatePolicy(rq.ctx, in)
		if err != nil {
			return response{}, err
		}
		return h.createdRecord(q, policyRecord(t, p, q), policyHref(t.UUID, p.Name)), nil
	}
	if err := q.Check(policyKnown); err != nil {
		return response{}, err
	}
	list, err := h.core.ListPolicies(rq.ctx, t.UUID)
	if err != nil {
		return response{}, err
	}
	recs := make([]map[string]any, 0, len(list))
	for _, p := range list {
		recs = append(recs, policyRecord(t, p, q))
	}
	return ok(collection.Apply(recs, q, serviceHref(t.UUID)+"/policies")), nil
}

func (h *handler) policy(rq *request) (response, error) {
	t, err := h.serviceSVM(rq)
	if err != nil {
		return response{}, err
	}
	switch rq.Method {
	case http.MethodGet:
		q, err := parseKnownQuery(rq, policySchema, policyKnown)
		if err != nil {
			return response{}, err
		}
		p, err := h.core.GetPolicy(rq.ctx, t.UUID, rq.Name)
		if err != nil {
			return response{}, err
		}
		return ok(q.Single(policyRecord(t, p, q))), nil
	case http.MethodPatch:
		if _, err := parseRecordQuery(rq, policySchema); err != nil {
			return response{}, err
		}
		p, err := parsePolicyPatch(rq.body())
		if err != nil {
			return response{}, err
		}
		if _, err := h.core.UpdatePolicy(rq.ctx, t.UUID, rq.Name, p); err != nil {
			return response{}, err
		}
		return ok(nil), nil
	default: // DELETE
		if _, err := parseRecordQuery(rq, policySchema); err != nil {
			return response{}, err
		}
		if err := h.core.DeletePolicy(rq.ctx, t.UUID, rq.Name); err != nil {
			return response{}, err
		}
		return ok(nil), nil
	}
}
