package ontap

import (
	"net/http"

	"coffer/internal/core"
	"coffer/internal/ontap/collection"
)

// S3 users: /api/protocols/s3/services/{svm.uuid}/users[/{name}], exactly
// as the seed (shared/seeds/001) describes user creation: POST answers 201
// with a Location header and {"num_records":1,"records":[{"name",
// "access_key","secret_key"}]} whether or not return_records is given
// (keys are shown only here and on regeneration); an access_key in the
// body is used as given and the secret is generated; generated keys are
// 128 characters of [A-Za-z0-9_]. The body's svm object is accepted and
// ignored: the SVM is the one in the path (the seed's example names a
// different uuid in the body than any real SVM has).

// Records carry their own _links.self, which projection always keeps.
var userSchema = collection.Schema{Key: []string{"name"}, Keep: []string{"svm", "name"}}

var userKnown = collection.NewFieldSet("svm.uuid", "svm.name", "name", "comment", "access_key",
	"key_time_to_live", "key_expiry_time", "keys.id", "keys.access_key", "keys.expiry_time",
	"keys.time_to_live", "_links.*", "svm._links.*")

// userPostBody is the body of POST .../users.
type userPostBody struct {
	Name          *string     `json:"name"`
	Comment       string      `json:"comment"`
	AccessKey     string      `json:"access_key"`
	SecretKey     string      `json:"secret_key"`
	KeyTimeToLive isoDuration `json:"key_time_to_live"`
}

// userPatchBody is the body of PATCH .../users/{name}.
type userPatchBody struct {
	Comment       *string     `json:"comment"`
	AccessKey     string      `json:"access_key"`
	SecretKey     string      `json:"secret_key"`
	KeyTimeToLive isoDuration `json:"key_time_to_live"`
	KeyID         *int        `json:"key_id"`
}

var (
	userPostFields = collection.NewFieldSet("name", "comment", "access_key", "secret_key",
		"key_time_to_live", "svm.*")
	userPatchFields = collection.NewFieldSet("comment", "access_key", "secret_key",
		"key_time_to_live", "key_id")
)

// parseUserPost decodes a user POST body. The name's rules (length, then
// characters) are the core's; a missing name is an empty name, so it gets
// the core's length error 92405788.
func parseUserPost(raw []byte) (core.CreateUserInput, error) {
	var b userPostBody
	if _, err := decodeInto(raw, userPostFields, &b); err != nil {
		return core.CreateUserInput{}, err
	}
	in := core.CreateUserInput{Comment: b.Comment, AccessKey: b.AccessKey, SecretKey: b.SecretKey,
		KeyTimeToLive: b.KeyTimeToLive.D}
	if b.Name != nil {
		in.Name = *b.Name
	}
	return in, nil
}

// userPatch is a parsed user PATCH: the body plus the query switches.
type userPatch struct {
	userPatchBody
	Regenerate bool
	DeleteKeys bool
}

// parseUserPatch decodes a user PATCH and applies ONTAP's rules on how the
// query switches combine with the body (spec §5.2).
func parseUserPatch(q collection.Query, raw []byte) (userPatch, error) {
	var p userPatch
	var err error
	if p.Regenerate, err = boolParam(q, "regenerate_keys", false); err != nil {
		return p, err
	}
	if p.DeleteKeys, err = boolParam(q, "delete_keys", false); err != nil {
		return p, err
	}
	if _, err := decodeInto(raw, userPatchFields, &p.userPatchBody); err != nil {
		return p, err
	}
	hasKeys := p.AccessKey != "" || p.SecretKey != ""
	switch {
	case p.Regenerate && p.DeleteKeys:
		return p, badRequest(codeRegenAndDelete, "regenerate_keys",
			`The "regenerate_keys" and "delete_keys" parameters cannot be set to true in the same request.`)
	case p.KeyTimeToLive.Set && !p.Regenerate:
		return p, badRequest(codeTTLNeedsRegen, "key_time_to_live",
			`The "key_time_to_live" field can be specified only when "regenerate_keys" is set to true.`)
	case p.DeleteKeys && hasKeys:
		return p, badRequest(codeDeleteKeysWithKey, "access_key",
			`Access and secret keys cannot be specified when "delete_keys" is set to true.`)
	case p.KeyID != nil && !p.Regenerate && !p.DeleteKeys:
		return p, badRequest(codeKeyIDAlone, "key_id",
			`The "key_id" field can be specified only when "regenerate_keys" or "delete_keys" is set to true.`)
	case hasKeys && !p.Regenerate:
		return p, badRequest(codeInvalidField, "access_key",
			`Access and secret keys can be specified only when "regenerate_keys" is set to true.`)
	}
	return p, nil
}

// userRecord renders a user for GET: never a secret key.
func userRecord(t core.Tenant, u core.User) map[string]any {
	rec := map[string]any{
		"svm": svmRef(t.UUID, t.Name), "name": u.Name, "comment": u.Comment,
		"_links": links(userHref(t.UUID, u.Name)),
	}
	keys := make([]any, 0, len(u.Keys))
	for _, k := range u.Keys {
		km := map[string]any{"id": k.Slot, "access_key": k.AccessKey}
		if k.Expires != nil {
			km["expiry_time"] = ontapTime(*k.Expires)
		}
		if k.TimeToLive > 0 {
			km["time_to_live"] = formatISODuration(k.TimeToLive)
		}
		keys = append(keys, km)
		if k.Slot == 1 || len(u.Keys) == 1 {
			rec["access_key"] = k.AccessKey
			if k.Expires != nil {
				rec["key_expiry_time"] = ontapTime(*k.Expires)
			}
		}
	}
	rec["keys"] = keys
	if u.KeyTimeToLive > 0 {
		rec["key_time_to_live"] = formatISODuration(u.KeyTimeToLive)
	}
	return rec
}

// keyRecord is the record of a user POST or a key regeneration: the only
// place a secret key is ever shown.
func keyRecord(svm, name string, k core.NewKey) map[string]any {
	rec := map[string]any{"name": name, "access_key": k.AccessKey, "secret_key": k.SecretKey,
		"_links": links(userHref(svm, name))}
	if k.Expires != nil {
		rec["key_expiry_time"] = ontapTime(*k.Expires)
	}
	return rec
}

// serviceSVM resolves {svm.uuid} for the S3 endpoints. Unknown uuids are
// 404 target svm.uuid; the admin SVM is left to the core, which answers
// "not a data SVM" with the code of each endpoint.
func (h *handler) serviceSVM(rq *request) (core.Tenant, error) {
	return h.core.GetTenant(rq.ctx, rq.SVM)
}

func (h *handler) users(rq *request) (response, error) {
	t, err := h.serviceSVM(rq)
	if err != nil {
		return response{}, err
	}
	q, err := parseQuery(rq, userSchema)
	if err != nil {
		return response{}, err
	}
	if rq.Method == http.MethodPost {
		in, err := parseUserPost(rq.body())
		if err != nil {
			return response{}, err
		}
		in.Tenant = t.UUID
		u, k, err := h.core.CreateUser(rq.ctx, in)
		if err != nil {
			return response{}, err
		}
		rec := keyRecord(t.UUID, u.Name, k)
		if q.ReturnRecordsOr(false) {
			full := userRecord(t, u)
			for key, v := range full {
				if _, have := rec[key]; !have {
					rec[key] = v
				}
			}
		}
		return created(map[string]any{"num_records": 1, "records": []any{rec}}, userHref(t.UUID, u.Name)), nil
	}
	if err := q.Check(userKnown); err != nil {
		return response{}, err
	}
	list, err := h.core.ListUsers(rq.ctx, t.UUID)
	if err != nil {
		return response{}, err
	}
	recs := make([]map[string]any, 0, len(list))
	for _, u := range list {
		recs = append(recs, userRecord(t, u))
	}
	return ok(collection.Apply(recs, q, serviceHref(t.UUID)+"/users")), nil
}

func (h *handler) user(rq *request) (response, error) {
	t, err := h.serviceSVM(rq)
	if err != nil {
		return response{}, err
	}
	switch rq.Method {
	case http.MethodGet:
		q, err := parseKnownQuery(rq, userSchema, userKnown)
		if err != nil {
			return response{}, err
		}
		u, err := h.core.GetUser(rq.ctx, t.UUID, rq.Name)
		if err != nil {
			return response{}, err
		}
		return ok(q.Single(userRecord(t, u))), nil
	case http.MethodPatch:
		q, err := parseRecordQuery(rq, userSchema, "regenerate_keys", "delete_keys")
		if err != nil {
			return response{}, err
		}
		p, err := parseUserPatch(q, rq.body())
		if err != nil {
			return response{}, err
		}
		if p.Comment != nil {
			if _, err := h.core.UpdateUser(rq.ctx, t.UUID, rq.Name, core.UserPatch{Comment: p.Comment}); err != nil {
				return response{}, err
			}
		}
		slot := 0
		if p.KeyID != nil {
			slot = *p.KeyID
			if slot == 0 {
				return response{}, badRequest(codeInvalidField, "key_id", "key_id must be 1 or 2.")
			}
		}
		switch {
		case p.Regenerate:
			in := core.RegenerateKeyInput{Tenant: t.UUID, User: rq.Name, Slot: slot,
				AccessKey: p.AccessKey, SecretKey: p.SecretKey}
			if p.KeyTimeToLive.Set {
				ttl := p.KeyTimeToLive.D
				in.KeyTimeToLive = &ttl
			}
			k, err := h.core.RegenerateKey(rq.ctx, in)
			if err != nil {
				return response{}, err
			}
			return ok(map[string]any{"num_records": 1, "records": []any{keyRecord(t.UUID, rq.Name, k)}}), nil
		case p.DeleteKeys:
			if err := h.core.DeleteKeys(rq.ctx, t.UUID, rq.Name, slot); err != nil {
				return response{}, err
			}
		case p.Comment == nil:
			// Nothing to change: still answer 404 for an unknown user.
			if _, err := h.core.GetUser(rq.ctx, t.UUID, rq.Name); err != nil {
				return response{}, err
			}
		}
		return ok(nil), nil
	default: // DELETE
		if _, err := parseRecordQuery(rq, userSchema); err != nil {
			return response{}, err
		}
		if err := h.core.DeleteUser(rq.ctx, t.UUID, rq.Name); err != nil {
			return response{}, err
		}
		return ok(nil), nil
	}
}

// parseRecordQuery parses the query of a PATCH or DELETE on one record
// (parseQuery refuses field filters there).
func parseRecordQuery(rq *request, schema collection.Schema, reserved ...string) (collection.Query, error) {
	return parseQuery(rq, schema, reserved...)
}
