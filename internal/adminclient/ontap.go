package adminclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Shapes of the ONTAP dialect, with its field names (what --json prints).

// Ref names a related record.
type Ref struct {
	Name string `json:"name,omitempty"`
	UUID string `json:"uuid,omitempty"`
}

// Tenant is an SVM.
type Tenant struct {
	UUID    string `json:"uuid"`
	Name    string `json:"name"`
	State   string `json:"state,omitempty"`
	Comment string `json:"comment,omitempty"`
	S3      *struct {
		Enabled bool   `json:"enabled"`
		Name    string `json:"name,omitempty"`
	} `json:"s3,omitempty"`
}

// UserKey is one of a user's access keys.
type UserKey struct {
	ID         int    `json:"id"`
	AccessKey  string `json:"access_key"`
	ExpiryTime string `json:"expiry_time,omitempty"`
}

// S3User is an S3 user of a tenant. SecretKey is set only in the answer
// that created the key.
type S3User struct {
	Name      string    `json:"name"`
	Comment   string    `json:"comment,omitempty"`
	SVM       Ref       `json:"svm,omitzero"`
	AccessKey string    `json:"access_key,omitempty"`
	SecretKey string    `json:"secret_key,omitempty"`
	Keys      []UserKey `json:"keys,omitempty"`
	KeyExpiry string    `json:"key_expiry_time,omitempty"`
}

// Bucket is an S3 bucket of a tenant.
type Bucket struct {
	UUID            string          `json:"uuid"`
	Name            string          `json:"name"`
	SVM             Ref             `json:"svm,omitzero"`
	Comment         string          `json:"comment,omitempty"`
	Size            int64           `json:"size,omitempty"`
	LogicalUsedSize int64           `json:"logical_used_size"`
	VersioningState string          `json:"versioning_state,omitempty"`
	Policy          json.RawMessage `json:"policy,omitempty"`
}

// Group is an S3 group of a tenant.
type Group struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Comment  string `json:"comment,omitempty"`
	Users    []Ref  `json:"users"`
	Policies []Ref  `json:"policies"`
}

// Statement is an ONTAP policy statement.
type Statement struct {
	Sid        string          `json:"sid,omitempty"`
	Effect     string          `json:"effect"`
	Actions    []string        `json:"actions"`
	Resources  []string        `json:"resources"`
	Principals []string        `json:"principals,omitempty"`
	Conditions json.RawMessage `json:"conditions,omitempty"`
}

// Policy is an S3 policy of a tenant.
type Policy struct {
	Name       string      `json:"name"`
	Comment    string      `json:"comment,omitempty"`
	ReadOnly   bool        `json:"read-only"`
	Statements []Statement `json:"statements"`
}

// OntapJob is a job of the ONTAP dialect.
type OntapJob struct {
	UUID        string `json:"uuid"`
	Description string `json:"description"`
	State       string `json:"state"`
	Message     string `json:"message"`
	Code        int64  `json:"code"`
	StartTime   string `json:"start_time,omitempty"`
	EndTime     string `json:"end_time,omitempty"`
	Error       *struct {
		Message string `json:"message"`
		Code    string `json:"code"`
		Target  string `json:"target"`
	} `json:"error,omitempty"`
}

type records[T any] struct {
	Records    []T `json:"records"`
	NumRecords int `json:"num_records"`
}

type jobLink struct {
	Job struct {
		UUID string `json:"uuid"`
	} `json:"job"`
}

// Change is the outcome of a change that runs as a job: JobUUID names the
// job; Done is true when it ended (successfully) before the answer.
type Change struct {
	JobUUID string
	Done    bool
}

// codeNoS3Server is ONTAP's "the SVM has no S3 server".
const codeNoS3Server = "92405773"

func fieldsAll() url.Values { return url.Values{"fields": {"*"}} }

func (c *Client) ontapList(ctx context.Context, path string, q url.Values, out any) error {
	if q == nil {
		q = url.Values{}
	}
	if q.Get("fields") == "" {
		q.Set("fields", "*")
	}
	q.Set("max_records", "10000")
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodGet, path: path, query: q}, out)
	return err
}

// change sends a change that may run as a job; wait lets the server wait
// up to 120 s for it (return_timeout).
func (c *Client) change(ctx context.Context, method, path string, q url.Values, body any, wait bool) (Change, error) {
	if q == nil {
		q = url.Values{}
	}
	if wait {
		q.Set("return_timeout", "120")
	}
	var jl jobLink
	resp, err := c.do(ctx, request{dialect: ONTAP, method: method, path: path, query: q, body: body}, &jl)
	if err != nil {
		return Change{}, err
	}
	return Change{JobUUID: jl.Job.UUID, Done: resp.status != http.StatusAccepted}, nil
}

// Tenants lists the data SVMs.
func (c *Client) Tenants(ctx context.Context) ([]Tenant, error) {
	var r records[Tenant]
	err := c.ontapList(ctx, "/svm/svms", nil, &r)
	return r.Records, err
}

// Tenant finds an SVM by name.
func (c *Client) Tenant(ctx context.Context, name string) (Tenant, error) {
	var r records[Tenant]
	if err := c.ontapList(ctx, "/svm/svms", url.Values{"name": {name}}, &r); err != nil {
		return Tenant{}, err
	}
	for _, t := range r.Records {
		if t.Name == name {
			return t, nil
		}
	}
	return Tenant{}, &APIError{Dialect: ONTAP, Status: http.StatusNotFound, Code: "4", Message: fmt.Sprintf("no tenant (SVM) named %q", name), Target: "name"}
}

// CreateTenant creates an SVM (a job).
func (c *Client) CreateTenant(ctx context.Context, name, comment string, wait bool) (Change, error) {
	return c.change(ctx, http.MethodPost, "/svm/svms", nil, map[string]any{"name": name, "comment": comment}, wait)
}

// DeleteTenant deletes an SVM (a job); its S3 server must be gone.
func (c *Client) DeleteTenant(ctx context.Context, uuid string, wait bool) (Change, error) {
	return c.change(ctx, http.MethodDelete, "/svm/svms/"+url.PathEscape(uuid), nil, nil, wait)
}

// CreateS3Server creates a tenant's S3 server; the answer holds its root
// user's keys, the only time they are shown.
func (c *Client) CreateS3Server(ctx context.Context, svmUUID, name, comment string) ([]S3User, error) {
	var r records[struct {
		Users []S3User `json:"users"`
	}]
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodPost, path: "/protocols/s3/services",
		body: map[string]any{"svm": map[string]string{"uuid": svmUUID}, "name": name, "comment": comment}}, &r)
	if err != nil || len(r.Records) == 0 {
		return nil, err
	}
	return r.Records[0].Users, nil
}

// DeleteS3Server deletes a tenant's S3 server with its users, groups,
// policies and empty buckets (a job).
func (c *Client) DeleteS3Server(ctx context.Context, svmUUID string, wait bool) (Change, error) {
	return c.change(ctx, http.MethodDelete, "/protocols/s3/services/"+url.PathEscape(svmUUID), nil, nil, wait)
}

// HasS3Server reports whether a tenant has an S3 server.
func (c *Client) HasS3Server(ctx context.Context, svmUUID string) (bool, error) {
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodGet, path: "/protocols/s3/services/" + url.PathEscape(svmUUID)}, nil)
	var ae *APIError
	if IsNotFound(err) || errors.As(err, &ae) && ae.Code == codeNoS3Server {
		return false, nil
	}
	return err == nil, err
}

func svcPath(svmUUID, rest string) string {
	return "/protocols/s3/services/" + url.PathEscape(svmUUID) + rest
}

// Users lists a tenant's S3 users.
func (c *Client) Users(ctx context.Context, svmUUID string) ([]S3User, error) {
	var r records[S3User]
	err := c.ontapList(ctx, svcPath(svmUUID, "/users"), nil, &r)
	return r.Records, err
}

// User reads one S3 user.
func (c *Client) User(ctx context.Context, svmUUID, name string) (S3User, error) {
	var u S3User
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodGet, path: svcPath(svmUUID, "/users/"+url.PathEscape(name)), query: fieldsAll()}, &u)
	return u, err
}

// CreateUser creates an S3 user with a generated key pair (returned once).
func (c *Client) CreateUser(ctx context.Context, svmUUID, name, comment string) (S3User, error) {
	var r records[S3User]
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodPost, path: svcPath(svmUUID, "/users"),
		body: map[string]any{"name": name, "comment": comment}}, &r)
	if err != nil {
		return S3User{}, err
	}
	if len(r.Records) == 0 {
		return S3User{Name: name}, nil
	}
	return r.Records[0], nil
}

// DeleteUser deletes an S3 user and its keys.
func (c *Client) DeleteUser(ctx context.Context, svmUUID, name string) error {
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodDelete, path: svcPath(svmUUID, "/users/"+url.PathEscape(name))}, nil)
	return err
}

// RegenerateKey issues a new key pair for a user (keyID 1 or 2; 0 is the
// server's default), returned once. ttl is an ISO-8601 duration or "".
func (c *Client) RegenerateKey(ctx context.Context, svmUUID, name string, keyID int, ttl string) (S3User, error) {
	body := map[string]any{}
	if keyID > 0 {
		body["key_id"] = keyID
	}
	if ttl != "" {
		body["key_time_to_live"] = ttl
	}
	var r records[S3User]
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodPatch, path: svcPath(svmUUID, "/users/"+url.PathEscape(name)),
		query: url.Values{"regenerate_keys": {"true"}}, body: body}, &r)
	if err != nil {
		return S3User{}, err
	}
	if len(r.Records) == 0 {
		return S3User{}, fmt.Errorf("the server returned no key")
	}
	return r.Records[0], nil
}

// DeleteKeys deletes a user's keys (keyID 1 or 2, or 0 for all).
func (c *Client) DeleteKeys(ctx context.Context, svmUUID, name string, keyID int) error {
	body := map[string]any{}
	if keyID > 0 {
		body["key_id"] = keyID
	}
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodPatch, path: svcPath(svmUUID, "/users/"+url.PathEscape(name)),
		query: url.Values{"delete_keys": {"true"}}, body: body}, nil)
	return err
}

// Buckets lists buckets: a tenant's, or every tenant's when svmName is "".
func (c *Client) Buckets(ctx context.Context, svmName string) ([]Bucket, error) {
	q := url.Values{}
	if svmName != "" {
		q.Set("svm.name", svmName)
	}
	var r records[Bucket]
	err := c.ontapList(ctx, "/protocols/s3/buckets", q, &r)
	return r.Records, err
}

// Bucket finds a tenant's bucket by name.
func (c *Client) Bucket(ctx context.Context, svmName, name string) (Bucket, error) {
	bs, err := c.Buckets(ctx, svmName)
	if err != nil {
		return Bucket{}, err
	}
	for _, b := range bs {
		if b.Name == name {
			return b, nil
		}
	}
	return Bucket{}, &APIError{Dialect: ONTAP, Status: http.StatusNotFound, Code: "4", Message: fmt.Sprintf("no bucket %q in tenant %q", name, svmName), Target: "name"}
}

// BucketInput creates a bucket.
type BucketInput struct {
	SVMName    string
	Name       string
	Comment    string
	Size       int64 // quota in bytes; 0 = the server's default
	Versioning bool
	// Statements is the bucket policy, or nil.
	Statements []Statement
}

// CreateBucket creates a bucket (a job).
func (c *Client) CreateBucket(ctx context.Context, in BucketInput, wait bool) (Change, error) {
	body := map[string]any{"svm": map[string]string{"name": in.SVMName}, "name": in.Name}
	if in.Comment != "" {
		body["comment"] = in.Comment
	}
	if in.Size > 0 {
		body["size"] = in.Size
	}
	if in.Versioning {
		body["versioning_state"] = "enabled"
	}
	if in.Statements != nil {
		body["policy"] = map[string]any{"statements": in.Statements}
	}
	return c.change(ctx, http.MethodPost, "/protocols/s3/buckets", nil, body, wait)
}

// DeleteBucket deletes an empty bucket (a job).
func (c *Client) DeleteBucket(ctx context.Context, svmUUID, uuid string, wait bool) (Change, error) {
	return c.change(ctx, http.MethodDelete, "/protocols/s3/buckets/"+url.PathEscape(svmUUID)+"/"+url.PathEscape(uuid), nil, nil, wait)
}

// Groups lists a tenant's groups.
func (c *Client) Groups(ctx context.Context, svmUUID string) ([]Group, error) {
	var r records[Group]
	err := c.ontapList(ctx, svcPath(svmUUID, "/groups"), nil, &r)
	return r.Records, err
}

// Group finds a group by name.
func (c *Client) Group(ctx context.Context, svmUUID, name string) (Group, error) {
	gs, err := c.Groups(ctx, svmUUID)
	if err != nil {
		return Group{}, err
	}
	for _, g := range gs {
		if g.Name == name {
			return g, nil
		}
	}
	return Group{}, &APIError{Dialect: ONTAP, Status: http.StatusNotFound, Code: "4", Message: fmt.Sprintf("no group named %q", name), Target: "name"}
}

func refs(names []string) []Ref {
	out := make([]Ref, 0, len(names))
	for _, n := range names {
		out = append(out, Ref{Name: n})
	}
	return out
}

// CreateGroup creates a group of users with policies.
func (c *Client) CreateGroup(ctx context.Context, svmUUID, name, comment string, users, policies []string) error {
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodPost, path: svcPath(svmUUID, "/groups"),
		body: map[string]any{"name": name, "comment": comment, "users": refs(users), "policies": refs(policies)}}, nil)
	return err
}

// DeleteGroup deletes a group.
func (c *Client) DeleteGroup(ctx context.Context, svmUUID string, id int64) error {
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodDelete, path: svcPath(svmUUID, "/groups/"+strconv.FormatInt(id, 10))}, nil)
	return err
}

// Policies lists a tenant's policies (the built-in ones included).
func (c *Client) Policies(ctx context.Context, svmUUID string) ([]Policy, error) {
	var r records[Policy]
	err := c.ontapList(ctx, svcPath(svmUUID, "/policies"), nil, &r)
	return r.Records, err
}

// Policy reads one policy.
func (c *Client) Policy(ctx context.Context, svmUUID, name string) (Policy, error) {
	var p Policy
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodGet, path: svcPath(svmUUID, "/policies/"+url.PathEscape(name)), query: fieldsAll()}, &p)
	return p, err
}

// CreatePolicy creates a policy.
func (c *Client) CreatePolicy(ctx context.Context, svmUUID string, p Policy) error {
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodPost, path: svcPath(svmUUID, "/policies"),
		body: map[string]any{"name": p.Name, "comment": p.Comment, "statements": p.Statements}}, nil)
	return err
}

// DeletePolicy deletes a policy.
func (c *Client) DeletePolicy(ctx context.Context, svmUUID, name string) error {
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodDelete, path: svcPath(svmUUID, "/policies/"+url.PathEscape(name))}, nil)
	return err
}

// OntapJobs lists the ONTAP dialect's jobs.
func (c *Client) OntapJobs(ctx context.Context) ([]OntapJob, error) {
	var r records[OntapJob]
	err := c.ontapList(ctx, "/cluster/jobs", nil, &r)
	return r.Records, err
}

// OntapJob reads one job.
func (c *Client) OntapJob(ctx context.Context, uuid string) (OntapJob, error) {
	var j OntapJob
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodGet, path: "/cluster/jobs/" + url.PathEscape(uuid), query: fieldsAll()}, &j)
	return j, err
}
