package e2e

import (
	"regexp"
	"strings"
	"testing"

	"coffer/internal/testkit"
)

// The seed (shared/seeds/001_ee1bd9217854a491.txt) is the contract for S3
// user creation: these tests send its example request verbatim.

// seedUserRequest is the seed's example request body, byte for byte.
const seedUserRequest = testkit.ONTAPUserSeedRequest

const seedAccessKey = "Pz3SB54G2B_6dsXQPrA5HrTPcf478qoAW6_Xx6qyqZ948AgZ_7YfCf_9nO87YoZmskxx3cq41U2JAH2M3_fs321B4rkzS3a_oC5_8u7D8j_45N8OsBCBPWGD_1d_ccfq"

// ontapKeyRE is the seed's key format: 128 characters of [A-Za-z0-9_].
var ontapKeyRE = regexp.MustCompile(`^[A-Za-z0-9_]{128}$`)

func usersPath(svm string) string { return "/api/protocols/s3/services/" + svm + "/users" }

func TestONTAP_UserPost_seedExampleVerbatim(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	// The seed's body as-is; only the path carries the real SVM uuid.
	r := c.do(t, "POST", usersPath(svm.UUID), seedUserRequest).must(t, 201)
	if got, want := r.Header.Get("Location"), usersPath(svm.UUID)+"/user-1"; got != want {
		t.Fatalf("Location %q, want %q", got, want)
	}
	if r.num("num_records") != 1 || len(r.records()) != 1 {
		t.Fatalf("want num_records 1 and one record: %s", r.Raw)
	}
	if r.str("records.0.name") != "user-1" || r.str("records.0.access_key") != seedAccessKey {
		t.Fatalf("record does not echo the name and the supplied access key: %s", r.Raw)
	}
	sk := r.str("records.0.secret_key")
	if !ontapKeyRE.MatchString(sk) {
		t.Fatalf("generated secret %q is not 128 characters of [A-Za-z0-9_]", sk)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/hal+json") {
		t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	// The user works on S3 with exactly these keys (as root lists its own
	// buckets; a plain user without policy may list nothing, but the
	// signature must be accepted).
	_, err := s3As(t, seedAccessKey, sk).ListBuckets(ctxT(t), nil)
	if err != nil && errCode(err) != "AccessDenied" {
		t.Fatalf("ListBuckets with the seed user's keys: %v", err)
	}
	// GET shows the user, never the secret.
	g := c.do(t, "GET", usersPath(svm.UUID)+"/user-1", nil).must(t, 200)
	if g.str("name") != "user-1" || g.str("comment") != "S3 user" || g.str("svm.uuid") != svm.UUID ||
		g.str("svm.name") != svm.Name || g.str("_links.self.href") != usersPath(svm.UUID)+"/user-1" {
		t.Fatalf("GET user: %s", g.Raw)
	}
	if strings.Contains(g.Raw, "secret") || strings.Contains(g.Raw, sk) {
		t.Fatalf("GET returned the secret key: %s", g.Raw)
	}
	// The same request again: duplicate user.
	c.do(t, "POST", usersPath(svm.UUID), seedUserRequest).mustError(t, 409, "1", "name")
}

func TestONTAP_UserPost_generatedKeys(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	r := c.do(t, "POST", usersPath(svm.UUID), `{"name":"gen.user@example.com","comment":"c"}`).must(t, 201)
	ak, sk := r.str("records.0.access_key"), r.str("records.0.secret_key")
	if !ontapKeyRE.MatchString(ak) || !ontapKeyRE.MatchString(sk) || ak == sk {
		t.Fatalf("generated keys %q / %q are not two 128-character [A-Za-z0-9_] keys", ak, sk)
	}
	if r.get("records.0._links.self.href") != usersPath(svm.UUID)+"/gen.user@example.com" {
		t.Fatalf("record link: %s", r.Raw)
	}
	if _, err := s3As(t, ak, sk).ListBuckets(ctxT(t), nil); err != nil && errCode(err) != "AccessDenied" {
		t.Fatalf("ListBuckets with generated keys: %v", err)
	}
}

func TestONTAP_UserPost_returnRecords(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	// Without return_records the keys still come back (they are shown only
	// once); with return_records=true the whole record comes along.
	r := c.do(t, "POST", usersPath(svm.UUID)+"?return_records=true", `{"name":"rr","comment":"full"}`).must(t, 201)
	if r.str("records.0.secret_key") == "" || r.str("records.0.comment") != "full" || r.str("records.0.svm.uuid") != svm.UUID {
		t.Fatalf("return_records=true: %s", r.Raw)
	}
	r = c.do(t, "POST", usersPath(svm.UUID)+"?return_records=false", `{"name":"rr2"}`).must(t, 201)
	if r.str("records.0.secret_key") == "" {
		t.Fatalf("return_records=false lost the one-time keys: %s", r.Raw)
	}
	c.do(t, "POST", usersPath(svm.UUID)+"?return_records=maybe", `{"name":"rr3"}`).mustError(t, 400, "262197", "return_records")
}

func TestONTAP_UserPost_errors(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	// 92405787: characters; 92405788: length (1..64).
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"bad name!"}`).mustError(t, 400, "92405787", "name")
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"a/b"}`).mustError(t, 400, "92405787", "name")
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"`+strings.Repeat("u", 65)+`"}`).mustError(t, 400, "92405788", "name")
	c.do(t, "POST", usersPath(svm.UUID), `{"name":""}`).mustError(t, 400, "92405788", "name")
	c.do(t, "POST", usersPath(svm.UUID), `{"comment":"no name"}`).mustError(t, 400, "92405788", "name")
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"`+strings.Repeat("u", 64)+`"}`).must(t, 201)
	// Unknown fields: 262179.
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"u1","color":"red"}`).mustError(t, 400, "262179", "color")
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"u1","keys":[]}`).mustError(t, 400, "262179", "keys")
	// A secret without an access key: 92406201.
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"u1","secret_key":"SECRETSECRET"}`).mustError(t, 400, "92406201", "")
	// A duplicate access key: 92406200.
	ak, _ := c.mkUser(t, svm.UUID, "owner")
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"thief","access_key":"`+ak+`"}`).mustError(t, 409, "92406200", "access_key")
	// 404 code 4 for an unknown SVM uuid.
	c.do(t, "POST", usersPath("00000000-0000-4000-8000-000000000000"), `{"name":"u1"}`).mustError(t, 404, "4", "svm.uuid")

	// 92405773: a data SVM without an S3 server.
	name := ontapName(t, "bare")
	loc := c.do(t, "POST", "/api/svm/svms?return_timeout=30", map[string]any{"name": name}).must(t, 201).Header.Get("Location")
	bare := loc[strings.LastIndex(loc, "/")+1:]
	t.Cleanup(func() { c.do(t, "DELETE", "/api/svm/svms/"+bare, nil) })
	r := c.do(t, "POST", usersPath(bare), seedUserRequest).mustError(t, 409, "92405773", "svm.uuid")
	if !strings.Contains(r.str("error.message"), "Object store server is not present") {
		t.Fatalf("92405773 message: %s", r.Raw)
	}

	// 92405817: the admin SVM (owner of the management accounts).
	admin := c.adminSVM(t)
	r = c.do(t, "POST", usersPath(admin), `{"name":"u1"}`).mustError(t, 400, "92405817", "")
	if !strings.Contains(r.str("error.message"), "data SVM") {
		t.Fatalf("92405817 message: %s", r.Raw)
	}
}

// adminSVM returns the uuid of the cluster's admin SVM, the owner of the
// management accounts (/api/security/accounts), as in ONTAP.
func (c *ontapClient) adminSVM(t testing.TB) string {
	t.Helper()
	r := c.do(t, "GET", "/api/security/accounts?fields=owner&name="+cofferAdminUser, nil).must(t, 200)
	uuid := r.str("records.0.owner.uuid")
	if uuid == "" {
		t.Fatalf("no owner uuid for %s: %s", cofferAdminUser, r.Raw)
	}
	return uuid
}

func TestONTAP_UserGet_collectionAndRecord(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	for _, n := range []string{"alice", "bob", "carol"} {
		c.mkUser(t, svm.UUID, n)
	}
	r := c.do(t, "GET", usersPath(svm.UUID), nil).must(t, 200)
	names := r.recordNames()
	if strings.Join(names, ",") != "alice,bob,carol,root" || r.num("num_records") != 4 {
		t.Fatalf("users: %v (%s)", names, r.Raw)
	}
	if strings.Contains(r.Raw, "secret") {
		t.Fatalf("collection shows secrets: %s", r.Raw)
	}
	r = c.do(t, "GET", usersPath(svm.UUID)+"?fields=*", nil).must(t, 200)
	if len(r.str("records.0.access_key")) != 128 || strings.Contains(r.Raw, "secret") {
		t.Fatalf("fields=*: %s", r.Raw)
	}
	c.do(t, "GET", usersPath(svm.UUID)+"/nobody", nil).mustError(t, 404, "4", "name")
	c.do(t, "GET", usersPath("00000000-0000-4000-8000-000000000000"), nil).mustError(t, 404, "4", "svm.uuid")
}

func TestONTAP_UserPatch_regenerateKeys(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	ak, sk := c.mkUser(t, svm.UUID, "rotator")
	c.do(t, "POST", "/api/protocols/s3/services/"+svm.UUID+"/groups",
		map[string]any{"name": "g", "users": []any{map[string]any{"name": "rotator"}},
			"policies": []any{map[string]any{"name": "FullAccess"}}}).must(t, 201)
	b := c.mkBucket(t, svm.UUID, "rot-"+randHex(8), nil)
	_ = b
	old := s3As(t, ak, sk)
	if _, err := old.ListBuckets(ctxT(t), nil); err != nil {
		t.Fatalf("old keys before regeneration: %v", err)
	}
	r := c.do(t, "PATCH", usersPath(svm.UUID)+"/rotator?regenerate_keys=true", `{}`).must(t, 200)
	nak, nsk := r.str("records.0.access_key"), r.str("records.0.secret_key")
	if !ontapKeyRE.MatchString(nak) || !ontapKeyRE.MatchString(nsk) || nak == ak || r.str("records.0.name") != "rotator" {
		t.Fatalf("regenerated keys: %s", r.Raw)
	}
	// The old key fails on the very next request; the new one works.
	_, err := old.ListBuckets(ctxT(t), nil)
	wantErr(t, "ListBuckets with the old key", err, "InvalidAccessKeyId", 403)
	if _, err := s3As(t, nak, nsk).ListBuckets(ctxT(t), nil); err != nil {
		t.Fatalf("new keys: %v", err)
	}
	// GET shows the new access key and no secret.
	g := c.do(t, "GET", usersPath(svm.UUID)+"/rotator", nil).must(t, 200)
	if g.str("access_key") != nak || strings.Contains(g.Raw, nsk) {
		t.Fatalf("GET after regenerate: %s", g.Raw)
	}
	// Regenerating with given keys (newer ONTAP), and the switches' rules.
	r = c.do(t, "PATCH", usersPath(svm.UUID)+"/rotator?regenerate_keys=true",
		`{"access_key":"ROTATEDACCESSKEY0001","secret_key":"rotated-secret-key-0001"}`).must(t, 200)
	if r.str("records.0.access_key") != "ROTATEDACCESSKEY0001" {
		t.Fatalf("regenerate with given keys: %s", r.Raw)
	}
	c.do(t, "PATCH", usersPath(svm.UUID)+"/rotator?regenerate_keys=true&delete_keys=true", `{}`).mustError(t, 400, "92406082", "")
	c.do(t, "PATCH", usersPath(svm.UUID)+"/rotator", `{"key_time_to_live":"P1D"}`).mustError(t, 400, "92406088", "key_time_to_live")
	c.do(t, "PATCH", usersPath(svm.UUID)+"/rotator?delete_keys=true", `{"access_key":"X"}`).mustError(t, 400, "92406202", "")
	c.do(t, "PATCH", usersPath(svm.UUID)+"/rotator", `{"key_id":1}`).mustError(t, 400, "92406108", "key_id")
	c.do(t, "PATCH", usersPath(svm.UUID)+"/rotator", `{"name":"other"}`).mustError(t, 400, "262179", "name")
	c.do(t, "PATCH", usersPath(svm.UUID)+"/nobody?regenerate_keys=true", `{}`).mustError(t, 404, "4", "name")
	// A group member cannot lose its keys: 92406308.
	c.do(t, "PATCH", usersPath(svm.UUID)+"/rotator?delete_keys=true", ``).mustError(t, 409, "92406308", "")
}

func TestONTAP_UserPatch_commentAndDeleteKeys(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	ak, sk := c.mkUser(t, svm.UUID, "keyless")
	c.do(t, "PATCH", usersPath(svm.UUID)+"/keyless", `{"comment":"changed"}`).must(t, 200)
	if g := c.do(t, "GET", usersPath(svm.UUID)+"/keyless", nil).must(t, 200); g.str("comment") != "changed" {
		t.Fatalf("comment not changed: %s", g.Raw)
	}
	r := c.do(t, "PATCH", usersPath(svm.UUID)+"/keyless?delete_keys=true", nil).must(t, 200)
	if strings.Contains(r.Raw, "secret") {
		t.Fatalf("delete_keys answered keys: %s", r.Raw)
	}
	_, err := s3As(t, ak, sk).ListBuckets(ctxT(t), nil)
	wantErr(t, "ListBuckets after delete_keys", err, "InvalidAccessKeyId", 403)
	if g := c.do(t, "GET", usersPath(svm.UUID)+"/keyless", nil).must(t, 200); g.str("access_key") != "" {
		t.Fatalf("GET after delete_keys still shows a key: %s", g.Raw)
	}
}

func TestONTAP_UserDelete(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	ak, sk := c.mkUser(t, svm.UUID, "gone")
	r := c.do(t, "DELETE", usersPath(svm.UUID)+"/gone", nil).must(t, 200)
	if len(r.Body) != 0 {
		t.Fatalf("DELETE body %s, want {}", r.Raw)
	}
	c.do(t, "GET", usersPath(svm.UUID)+"/gone", nil).mustError(t, 404, "4", "name")
	c.do(t, "DELETE", usersPath(svm.UUID)+"/gone", nil).mustError(t, 404, "4", "name")
	_, err := s3As(t, ak, sk).ListBuckets(ctxT(t), nil)
	wantErr(t, "ListBuckets with a deleted user's key", err, "InvalidAccessKeyId", 403)
}
