package ontap

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"runtime"
	"testing"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/ontap/collection"
	"coffer/internal/policy"
)

// reasonErr builds an error the way the core does: a Kind, a Field and the
// Reason in the chain.
func reasonErr(k errs.Kind, r core.Reason, field string) error {
	return &errs.Error{Kind: k, Field: field, Msg: "core message", Err: r}
}

func TestONTAP_ErrorTable(t *testing.T) {
	users := route{Res: resUsers, Method: http.MethodPost}
	user := route{Res: resUser, Method: http.MethodPatch}
	service := route{Res: resServices, Method: http.MethodPost}
	buckets := route{Res: resSvmBuckets, Method: http.MethodPost}
	groups := route{Res: resGroups, Method: http.MethodPost}
	group := route{Res: resGroup, Method: http.MethodPatch}
	policies := route{Res: resPolicies, Method: http.MethodPost}
	svm := route{Res: resSVM, Method: http.MethodGet}
	tests := []struct {
		name       string
		err        error
		rt         route
		status     int
		code       string
		target     string
		message    string // "" = not checked
		notMapped  bool
		coreMsgOut bool // the core's message is shown
	}{
		// The seed's five codes.
		{name: "user name chars", err: reasonErr(errs.InvalidArgument, core.ReasonUserNameChars, "name"), rt: users,
			status: 400, code: "92405787", target: "name", message: msgUserNameChars},
		{name: "user name length", err: reasonErr(errs.InvalidArgument, core.ReasonUserNameLength, "name"), rt: users,
			status: 400, code: "92405788", target: "name", message: msgUserNameLength},
		{name: "no S3 server", err: reasonErr(errs.NotFound, core.ReasonNoS3Service, "svm.uuid"), rt: users,
			status: 409, code: "92405773", target: "svm.uuid", message: msgNoS3Server},
		{name: "key generation", err: reasonErr(errs.Internal, core.ReasonKeyGeneration, ""), rt: users,
			status: 500, code: "92405791", message: msgKeyCreate},
		{name: "key regeneration", err: reasonErr(errs.Internal, core.ReasonKeyGeneration, ""), rt: user,
			status: 500, code: "92405792"},
		{name: "user on admin SVM", err: reasonErr(errs.InvalidArgument, core.ReasonNotDataTenant, "svm.uuid"), rt: users,
			status: 400, code: "92405817", target: "svm.uuid", message: msgUserNotDataSVM},
		// Not a data SVM, per endpoint.
		{name: "server on admin SVM", err: reasonErr(errs.InvalidArgument, core.ReasonNotDataTenant, "svm.uuid"), rt: service,
			status: 400, code: "92405884", coreMsgOut: true},
		{name: "bucket on admin SVM", err: reasonErr(errs.InvalidArgument, core.ReasonNotDataTenant, "svm.uuid"), rt: buckets,
			status: 400, code: "92405858"},
		{name: "group on admin SVM", err: reasonErr(errs.InvalidArgument, core.ReasonNotDataTenant, "svm.uuid"), rt: groups,
			status: 400, code: "92405858"},
		// Not found and duplicates.
		{name: "unknown SVM", err: reasonErr(errs.NotFound, core.ReasonTenantNotFound, "svm.uuid"), rt: users,
			status: 404, code: "4", target: "svm.uuid", message: "entry doesn't exist"},
		{name: "unknown user", err: reasonErr(errs.NotFound, core.ReasonUserNotFound, "name"), rt: user,
			status: 404, code: "4", target: "name", message: "entry doesn't exist"},
		{name: "unknown bucket", err: errs.Field(errs.NoSuchBucket, "uuid", "The specified bucket does not exist"), rt: buckets,
			status: 404, code: "4", target: "uuid", message: "entry doesn't exist"},
		{name: "duplicate user", err: reasonErr(errs.AlreadyExists, core.ReasonUserExists, "name"), rt: users,
			status: 409, code: "1", target: "name", coreMsgOut: true},
		{name: "duplicate bucket", err: errs.New(errs.BucketAlreadyOwnedByYou, "exists"), rt: buckets,
			status: 409, code: "1", target: "name"},
		{name: "duplicate group", err: reasonErr(errs.AlreadyExists, core.ReasonGroupExists, "name"), rt: groups,
			status: 409, code: "92405942"},
		{name: "duplicate policy", err: reasonErr(errs.AlreadyExists, core.ReasonPolicyExists, "name"), rt: policies,
			status: 409, code: "92405950"},
		// Buckets.
		{name: "bucket name chars", err: reasonErr(errs.InvalidBucketName, core.ReasonBucketNameChars, "name"), rt: buckets,
			status: 400, code: "92405785", target: "name"},
		{name: "bucket name length", err: reasonErr(errs.InvalidBucketName, core.ReasonBucketNameLength, "name"), rt: buckets,
			status: 400, code: "92405786", target: "name"},
		{name: "bucket not empty", err: errs.New(errs.BucketNotEmpty, "not empty"), rt: route{Res: resSvmBucket, Method: http.MethodDelete},
			status: 409, code: "92405779"},
		// Groups: empty user list differs between POST and PATCH.
		{name: "group users empty POST", err: reasonErr(errs.InvalidArgument, core.ReasonGroupUsersEmpty, "users"), rt: groups,
			status: 400, code: "92406207"},
		{name: "group users empty PATCH", err: reasonErr(errs.InvalidArgument, core.ReasonGroupUsersEmpty, "users"), rt: group,
			status: 400, code: "92405896"},
		{name: "policy reserved name", err: reasonErr(errs.InvalidArgument, core.ReasonPolicyReservedName, "name"), rt: policies,
			status: 400, code: "92405954"},
		// Generic kinds.
		{name: "SVM 404 target", err: reasonErr(errs.NotFound, core.ReasonTenantNotFound, ""), rt: svm,
			status: 404, code: "4", target: "uuid"},
		{name: "unauthenticated", err: reasonErr(errs.Unauthenticated, core.ReasonBadCredentials, ""), rt: svm,
			status: 401, code: "6"},
		{name: "access denied", err: errs.New(errs.AccessDenied, "no"), rt: users, status: 403, code: "92406096"},
		{name: "in use", err: reasonErr(errs.InUse, core.ReasonTenantInUse, "svm.uuid"), rt: svm, status: 409, code: "8"},
		{name: "collection 262179", err: collection.UnexpectedArgument("nope"), rt: users,
			status: 400, code: "262179", target: "nope", message: `Unexpected argument "nope".`},
		{name: "adapter error", err: badRequest(codeRegenAndDelete, "regenerate_keys", "x"), rt: user,
			status: 400, code: "92406082", target: "regenerate_keys"},
		{name: "route 404", err: &errRoute{status: 404}, rt: route{}, status: 404, code: "3"},
		{name: "route 405", err: &errRoute{status: 405}, rt: route{}, status: 405, code: "3"},
		// Unmapped: 500, code 1, nothing leaked.
		{name: "plain error", err: errors.New("disk on fire"), rt: users, status: 500, code: "1", notMapped: true,
			message: msgInternal},
		{name: "internal kind", err: errs.New(errs.Internal, "secret detail"), rt: users, status: 500, code: "1",
			notMapped: true, message: msgInternal},
		{name: "wrapped reason", err: fmt.Errorf("job: %w", reasonErr(errs.InvalidArgument, core.ReasonUserNameChars, "name")),
			rt: users, status: 400, code: "92405787"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, mapped := toAPIError(tc.err, tc.rt)
			if mapped == tc.notMapped {
				t.Errorf("mapped = %v, want %v", mapped, !tc.notMapped)
			}
			if e.Status != tc.status || e.Code != tc.code {
				t.Errorf("got %d %s, want %d %s", e.Status, e.Code, tc.status, tc.code)
			}
			if tc.target != "" && e.Target != tc.target {
				t.Errorf("target %q, want %q", e.Target, tc.target)
			}
			if tc.message != "" && e.Message != tc.message {
				t.Errorf("message %q, want %q", e.Message, tc.message)
			}
			if tc.coreMsgOut && e.Message != "core message" {
				t.Errorf("message %q, want the core's", e.Message)
			}
			if tc.notMapped && (e.Message != msgInternal || e.Target != "") {
				t.Errorf("internal error leaked: %+v", e)
			}
		})
	}
}

// TestErrorTable_everyReason reads the core's reason constants from its
// source and checks that each is in the table, so a reason added to the
// core without an ONTAP mapping fails here instead of answering 500.
func TestONTAP_ErrorTable_everyReason(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	file := filepath.Join(filepath.Dir(self), "..", "core", "reasons.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Reasons that need no ONTAP row: the S3 data plane's, and those
	// whose kind row is the intended answer.
	byKindOnly := map[string]bool{
		"ReasonUserDisabledInAuth": true, "ReasonServiceDisabled": true, "ReasonPasswordTooShort": true, "ReasonAdminNotFound": true,
		"ReasonAdminExists": true, "ReasonAdminNameInvalid": true, "ReasonAdminLastAccount": true,
	}
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			id, ok := vs.Type.(*ast.Ident)
			if !ok || id.Name != "Reason" {
				continue
			}
			for i, name := range vs.Names {
				lit := vs.Values[i].(*ast.BasicLit)
				r := core.Reason(lit.Value[1 : len(lit.Value)-1])
				n++
				if _, ok := reasonTable[r]; !ok && !byKindOnly[name.Name] {
					t.Errorf("core.%s (%q) has no row in reasonTable", name.Name, string(r))
				}
			}
		}
	}
	if n < 40 {
		t.Fatalf("found only %d reasons in %s", n, file)
	}
}

func TestONTAP_PolicyError(t *testing.T) {
	_, err := policy.FromONTAP([]policy.ONTAPStatement{{Effect: "allow", Actions: []string{"NoSuchAction"}, Resources: []string{"*"}}})
	e, _ := toAPIError(policyError(err, "statements"), route{Res: resPolicies, Method: http.MethodPost})
	if e.Code != "92405906" || e.Status != 400 || e.Target != "statements.actions" {
		t.Fatalf("invalid action: %+v", e)
	}
	stmts := make([]policy.ONTAPStatement, 11)
	for i := range stmts {
		stmts[i] = policy.ONTAPStatement{Effect: "allow"}
	}
	_, err = policy.FromONTAPBucketPolicy("b1", stmts)
	e, _ = toAPIError(policyError(err, "policy.statements"), route{Res: resSvmBuckets, Method: http.MethodPost})
	if e.Code != "92405894" {
		t.Fatalf("11 statements: %+v (%v)", e, err)
	}
	_, err = policy.FromONTAPBucketPolicy("b1", []policy.ONTAPStatement{{Effect: "allow", Resources: []string{"other/*"}}})
	e, _ = toAPIError(policyError(err, "policy.statements"), route{Res: resSvmBuckets, Method: http.MethodPost})
	if e.Code != "92405891" {
		t.Fatalf("foreign resource: %+v (%v)", e, err)
	}
}
