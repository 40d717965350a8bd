package commvault

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// Every error path of POST /V4/CVS3Store, with the seed's statuses and
// shapes: errorCode an int for 400/401/403/409, the enum name for 404/500.
func TestCreateVault_errors(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("taken")).must(t, 200)
	tn, _ := e.core.GetTenantByName(bg, "default")
	if _, err := e.core.CreateBucket(bg, core.CreateBucketInput{Tenant: tn.UUID, Name: "plain-bucket"}); err != nil {
		t.Fatal(err)
	}
	userTok := n.login(t, f.ownerName, f.ownerPassword)

	with := func(edit func(b map[string]any)) map[string]any {
		b := f.seedBody("fresh-vault")
		edit(b)
		return b
	}
	type M = map[string]any
	const (
		bad      = 400
		notFound = 404
	)
	cases := []struct {
		name   string
		token  string
		body   any
		status int
		code   any
	}{
		{"no token", "", f.seedBody("v1"), 401, int(codeInvalidUser)},
		{"unknown token", "QSDK 0123", f.seedBody("v1"), 401, int(codeInvalidUser)},
		{"not an administrator", userTok, f.seedBody("v1"), 403, int(codeInsufficientPermission)},
		{"empty body", f.token, "", bad, 1},
		{"malformed JSON", f.token, `{"bucket": {`, bad, 1},
		{"trailing data", f.token, `{"bucket": {"clientName": "a"}} {}`, bad, 1},
		{"array body", f.token, `[]`, bad, 1},
		{"missing bucket", f.token, with(func(b M) { delete(b, "bucket") }), bad, 1},
		{"missing clientName", f.token, with(func(b M) { b["bucket"] = M{} }), bad, 1},
		{"empty clientName", f.token, with(func(b M) { b["bucket"] = M{"clientName": ""} }), bad, 1},
		{"clientName not a string", f.token, with(func(b M) { b["bucket"] = M{"clientName": 5} }), bad, 1},
		{"missing plan", f.token, with(func(b M) { delete(b, "plan") }), bad, 1},
		{"empty plan", f.token, with(func(b M) { b["plan"] = M{} }), bad, 1},
		{"negative planId", f.token, with(func(b M) { b["plan"] = M{"planId": -1} }), bad, 1},
		{"planId too large", f.token, with(func(b M) { b["plan"] = M{"planId": 1 << 40} }), bad, 1},
		{"planId a string", f.token, with(func(b M) { b["plan"] = M{"planId": "1"} }), bad, 1},
		{"planName of another plan", f.token, with(func(b M) { b["plan"] = M{"planId": f.planID, "planName": "other"} }), bad, 1},
		{"bad name: upper case", f.token, with(func(b M) { b["bucket"] = M{"clientName": "Bad_Name"} }), bad, 1},
		{"bad name: too short", f.token, with(func(b M) { b["bucket"] = M{"clientName": "ab"} }), bad, 1},
		{"owner __type__ 12", f.token, with(func(b M) { b["owners"] = []any{M{"userId": f.owner, "__type__": 12}} }), bad, 1},
		{"owner _type_ 15", f.token, with(func(b M) { b["owners"] = []any{M{"userId": f.owner, "_type_": 15}} }), bad, 1},
		{"group __type__ 13", f.token, with(func(b M) { b["userGroups"] = []any{M{"userGroupId": f.groupID, "__type__": 13}} }), bad, 1},
		{"endpoint _type_ 13", f.token, with(func(b M) { b["cvs3Endpoints"] = []any{M{"clientId": f.nodeID, "_type_": 13}} }), bad, 1},
		{"owner without userId", f.token, with(func(b M) { b["owners"] = []any{M{"__type__": 13}} }), bad, 1},
		{"owner userId 0 (the schema's example)", f.token, with(func(b M) { b["owners"] = []any{M{"userId": 0, "__type__": 13}} }), bad, 1},
		{"group without id", f.token, with(func(b M) { b["userGroups"] = []any{M{"__type__": 15}} }), bad, 1},
		{"owners not a list", f.token, with(func(b M) { b["owners"] = M{"userId": 1} }), bad, 1},
		{"rotateKeys not a boolean", f.token, with(func(b M) { b["rotateKeys"] = "yes" }), bad, 1},
		{"unknown planId", f.token, with(func(b M) { b["plan"] = M{"planId": 9999, "planName": ""} }), notFound, "VALUE_NOT_FOUND"},
		{"unknown planName", f.token, with(func(b M) { b["plan"] = M{"planName": "nope"} }), notFound, "VALUE_NOT_FOUND"},
		{"unknown client", f.token, with(func(b M) { b["cvs3Endpoints"] = []any{M{"clientId": 1000000999}} }), notFound, "VALUE_NOT_FOUND"},
		{"a vault is no endpoint", f.token, with(func(b M) { b["cvs3Endpoints"] = []any{M{"clientId": 1}} }), notFound, "VALUE_NOT_FOUND"},
		{"unknown user", f.token, with(func(b M) { b["owners"] = []any{M{"userId": 9999, "__type__": 13}} }), notFound, "VALUE_NOT_FOUND"},
		{"unknown user name", f.token, with(func(b M) { b["owners"] = []any{M{"userName": "ghost"}} }), notFound, "VALUE_NOT_FOUND"},
		{"unknown group", f.token, with(func(b M) { b["userGroups"] = []any{M{"userGroupId": 9999, "__type__": 15}} }), notFound, "VALUE_NOT_FOUND"},
		{"existing vault", f.token, f.seedBody("taken"), 409, 1},
		{"existing bucket of the name", f.token, f.seedBody("plain-bucket"), 409, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", c.token, c.body)
			r.mustError(t, c.status, c.code)
		})
	}
	// None of the refused requests created anything.
	l := n.call(t, "GET", "/commandcenter/api/V4/cvS3Stores", f.token, nil).must(t, 200)
	if l.num("totalRecords") != 2 {
		t.Fatalf("vaults after refused requests: %s", l.Raw)
	}
	// The type tag may be spelled _type_, __type__, or left out.
	for i, tag := range []map[string]any{{"_type_": 13}, {"__type__": 13}, {}} {
		owner := map[string]any{"userId": f.owner}
		for k, v := range tag {
			owner[k] = v
		}
		b := f.seedBody(fmt.Sprintf("tagged-%d", i))
		b["owners"] = []any{owner}
		b["userGroups"] = []any{map[string]any{"userGroupId": f.groupID, "_type_": 15}}
		n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, b).must(t, 200)
	}
}

// A failure inside the server is a 500 INTERNAL_SERVER_PROBLEM whose text
// is not shown: here the configured company does not exist.
func TestCreateVault_internalError(t *testing.T) {
	e := newTestEnv(t)
	f := e.fixture(t)
	broken := e.addNode("node-broken", func(o *Options) { o.Tenant = "no-such-tenant" })
	tok := broken.admin(t)
	r := broken.call(t, "POST", "/commandcenter/api/V4/CVS3Store", tok, f.seedBody("v500")).mustError(t, 500, "INTERNAL_SERVER_PROBLEM")
	if r.str("errorMessage") != msgInternal {
		t.Fatalf("internal error text leaked: %s", r.Raw)
	}
}

// The other calls' error paths.
func TestAPI_errors(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	userTok := n.login(t, f.memberName, f.memberPassword)
	api := "/commandcenter/api"
	r := n.call(t, "POST", api+"/V4/CVS3Store", f.token, f.seedBody("busy")).must(t, 200)
	vault := r.num("response.entity.clientId")

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      any
	}{
		{"plan not found", "GET", "/V4/ServerPlan/999", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"plan id not a number", "GET", "/V4/ServerPlan/abc", f.token, nil, 400, 1},
		{"plan in use", "DELETE", fmt.Sprintf("/V4/ServerPlan/%d", f.planID), f.token, nil, 409, int(codeInvalidOperationType)},
		{"plan without name", "POST", "/V4/ServerPlan", f.token, map[string]any{}, 400, 1},
		{"plan with a bad retention", "POST", "/V4/ServerPlan", f.token, map[string]any{"planName": "p", "retentionPeriodDays": 0}, 400, 1},
		{"plan name taken", "POST", "/V4/ServerPlan", f.token, map[string]any{"planName": f.planName}, 409, 1},
		{"user not found", "GET", "/V4/user/999", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"user name taken", "POST", "/V4/user", f.token, map[string]any{"users": []any{map[string]any{"name": f.ownerName}}}, 409, 1},
		{"user password not base64", "POST", "/V4/user", f.token, map[string]any{"users": []any{map[string]any{"name": "x1", "password": "***"}}}, 400, 1},
		{"user password too short", "POST", "/V4/user", f.token, map[string]any{"users": []any{map[string]any{"name": "x2", "password": b64("short")}}}, 400, 1},
		{"user email invalid", "POST", "/V4/user", f.token, map[string]any{"users": []any{map[string]any{"name": "x3", "email": "nope"}}}, 400, 1},
		{"users may not list users", "GET", "/V4/user", userTok, nil, 403, int(codeInsufficientPermission)},
		{"users may not read others", "GET", fmt.Sprintf("/V4/user/%d", f.owner), userTok, nil, 403, int(codeInsufficientPermission)},
		{"users may not read others' keys", "GET", fmt.Sprintf("/V4/User/%d/S3AccessKey", f.owner), userTok, nil, 403, int(codeInsufficientPermission)},
		{"users may not rotate others' keys", "PUT", fmt.Sprintf("/V4/User/%d/S3AccessKey", f.owner), userTok, nil, 403, int(codeInsufficientPermission)},
		{"unknown access token", "DELETE", "/V4/AccessToken/999", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"used refresh token", "POST", "/V4/AccessToken/Renew", "", map[string]any{"accessToken": "x", "refreshToken": "y"}, 400, int(codeRefreshTokenExpired)},
		{"group not found", "GET", "/V4/UserGroup/999", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"group without users", "POST", "/V4/UserGroup", f.token, map[string]any{"name": "empty"}, 400, 1},
		{"group with an unknown user", "POST", "/V4/UserGroup", f.token, map[string]any{"name": "g2", "users": []any{map[string]any{"id": 999}}}, 404, "VALUE_NOT_FOUND"},
		{"client not found", "GET", "/Client/1000000999", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"vault client not found", "GET", "/Client/999", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"vault not found", "GET", "/V4/CVS3Store/999", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"delete unknown vault", "DELETE", "/V4/CVS3Store/999", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"endpoint on an unknown client", "POST", "/V4/Client/1000000999/CVS3endpoint", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"endpoint for an unknown vault", "POST", fmt.Sprintf("/V4/Client/%d/CVS3endpoint", f.nodeID), f.token,
			map[string]any{"cvs3Stores": []any{map[string]any{"clientId": 999}}}, 404, "VALUE_NOT_FOUND"},
		{"job details of an unknown job", "POST", "/JobDetails", f.token, map[string]any{"jobId": 999999}, 404, "VALUE_NOT_FOUND"},
		{"job details without id", "POST", "/JobDetails", f.token, map[string]any{}, 400, 1},
		{"kill an unknown job", "POST", "/Job/999999/Action/Kill", f.token, nil, 404, "VALUE_NOT_FOUND"},
		{"bad job category", "GET", "/Job?jobCategory=Sometimes", f.token, nil, 400, 1},
		{"bad start", "GET", "/V4/cvS3Stores?start=-1", f.token, nil, 400, 1},
		{"bad forceDelete", "DELETE", fmt.Sprintf("/V4/CVS3Store/%d?forceDelete=maybe", vault), f.token, nil, 400, 1},
		{"users may not list jobs", "GET", "/Job", userTok, nil, 403, int(codeInsufficientPermission)},
		{"oversized body", "POST", "/V4/ServerPlan", f.token, `{"planName":"` + string(make([]byte, 2<<20)) + `"}`, 413, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n.call(t, c.method, api+c.path, c.token, c.body).mustError(t, c.status, c.code)
		})
	}
	// An unknown job is not an error for /Job/{id}: cvpysdk polls until
	// the job shows up.
	r = n.call(t, "GET", api+"/Job/999999", f.token, nil).must(t, 200)
	if r.num("totalRecordsWithoutPaging") != 0 || len(r.list("jobs")) != 0 {
		t.Fatalf("unknown job: %s", r.Raw)
	}
	// Legacy APIs also carry errList.
	r = n.call(t, "POST", api+"/JobDetails", f.token, map[string]any{"jobId": 999999})
	if r.str("errList.0.errLogMessage") == "" {
		t.Fatalf("JobDetails error without errList: %s", r.Raw)
	}
}

// The table maps every kind the core returns; unmapped ones are internal
// and never shown.
func TestErrorTable(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   ErrorCode
		mapped bool
	}{
		{errs.New(errs.InvalidArgument, "x"), 400, codeInvalidInput, true},
		{errs.New(errs.NotFound, "x"), 404, codeValueNotFound, true},
		{errs.New(errs.AlreadyExists, "x"), 409, codeInvalidInput, true},
		{errs.New(errs.AccessDenied, "x"), 403, codeInsufficientPermission, true},
		{errs.New(errs.Unauthenticated, "x"), 401, codeInvalidUser, true},
		{errs.New(errs.BucketNotEmpty, "x"), 409, codeInvalidOperationType, true},
		{errs.New(errs.Internal, "secret detail"), 500, codeInternalServerProblem, false},
		{fmt.Errorf("plain"), 500, codeInternalServerProblem, false},
		{&errs.Error{Kind: errs.NotFound, Msg: "no tenant", Err: core.ReasonTenantNotFound}, 500, codeInternalServerProblem, false},
	}
	for _, c := range cases {
		e, mapped := toAPIError(c.err)
		if e.Status != c.status || e.Code != c.code || mapped != c.mapped {
			t.Errorf("%v: got %d %v %v, want %d %v %v", c.err, e.Status, e.Code, mapped, c.status, c.code, c.mapped)
		}
		if !mapped && e.Message != msgInternal {
			t.Errorf("%v: internal message %q shown", c.err, e.Message)
		}
	}
	b, _ := json.Marshal(errorBody(apiError{Status: http.StatusNotFound, Code: codeValueNotFound, Message: "m"}, false))
	if string(b) != `{"errorCode":"VALUE_NOT_FOUND","errorMessage":"m"}` {
		t.Fatalf("404 body %s", b)
	}
	b, _ = json.Marshal(errorBody(apiError{Status: http.StatusBadRequest, Code: codeInvalidInput, Message: "m"}, false))
	if string(b) != `{"errorCode":1,"errorMessage":"m"}` {
		t.Fatalf("400 body %s", b)
	}
}
