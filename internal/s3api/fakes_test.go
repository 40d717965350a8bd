package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/objects"
	"coffer/internal/sigv4"
)

// fakeBackend is a small in-memory object layer: enough S3 behaviour to
// drive the adapter, none of the durability.
type fakeBackend struct {
	mu      sync.Mutex
	now     time.Time
	seq     int
	buckets map[string]*fakeBucket
	uploads map[string]*fakeUpload
	// fail, when set, is returned by every call.
	fail error
}

type fakeBucket struct {
	info     objects.BucketInfo
	versions map[string][]*fakeVersion // newest last
}

type fakeVersion struct {
	info objects.ObjectInfo
	data []byte
}

type fakeUpload struct {
	info  objects.UploadInfo
	parts map[int]*fakeVersion
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		now:     time.Date(2026, 3, 4, 5, 6, 7, 890e6, time.UTC),
		buckets: map[string]*fakeBucket{},
		uploads: map[string]*fakeUpload{},
	}
}

var _ Backend = (*fakeBackend)(nil)

func (f *fakeBackend) bucket(tenant, name string) (*fakeBucket, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	b, ok := f.buckets[tenant+"/"+name]
	if !ok {
		return nil, errs.New(errs.NoSuchBucket, "The specified bucket does not exist")
	}
	return b, nil
}

func (f *fakeBackend) tick() time.Time { f.now = f.now.Add(time.Second); return f.now }

func (f *fakeBackend) CreateBucket(ctx context.Context, in objects.CreateBucketInput) (objects.BucketInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return objects.BucketInfo{}, f.fail
	}
	if _, ok := f.buckets[in.Tenant+"/"+in.Name]; ok {
		return objects.BucketInfo{}, errs.New(errs.BucketAlreadyOwnedByYou, "")
	}
	if in.Name != strings.ToLower(in.Name) || len(in.Name) < 3 {
		return objects.BucketInfo{}, errs.New(errs.InvalidBucketName, "")
	}
	info := objects.BucketInfo{Tenant: in.Tenant, Name: in.Name, Created: f.tick(), Owner: in.Owner, Region: in.Region, Versioning: in.Versioning}
	f.buckets[in.Tenant+"/"+in.Name] = &fakeBucket{info: info, versions: map[string][]*fakeVersion{}}
	return info, nil
}

func (f *fakeBackend) GetBucket(ctx context.Context, tenant, name string) (objects.BucketInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(tenant, name)
	if err != nil {
		return objects.BucketInfo{}, err
	}
	info := b.info
	if b.info.Configs != nil {
		info.Configs = map[string][]byte{}
		for k, v := range b.info.Configs {
			info.Configs[k] = append([]byte(nil), v...)
		}
	}
	return info, nil
}

func (f *fakeBackend) DeleteBucket(ctx context.Context, tenant, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(tenant, name)
	if err != nil {
		return err
	}
	if len(b.versions) > 0 {
		return errs.New(errs.BucketNotEmpty, "")
	}
	delete(f.buckets, tenant+"/"+name)
	return nil
}

func (f *fakeBackend) ListBuckets(ctx context.Context, in objects.ListBucketsInput) (objects.ListBucketsOutput, error) {
	f.mu.Lock()
	var all []objects.BucketInfo
	for _, b := range f.buckets {
		if b.info.Tenant == in.Tenant && strings.HasPrefix(b.info.Name, in.Prefix) && b.info.Name > in.After {
			all = append(all, b.info)
		}
	}
	f.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	var out objects.ListBucketsOutput
	for _, b := range all {
		if in.Filter != nil && !in.Filter(b) {
			continue
		}
		if in.MaxBuckets > 0 && len(out.Buckets) == in.MaxBuckets {
			out.Next = out.Buckets[len(out.Buckets)-1].Name
			break
		}
		out.Buckets = append(out.Buckets, b)
	}
	return out, nil
}

func (f *fakeBackend) SetVersioning(ctx context.Context, tenant, name string, state objects.VersioningState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(tenant, name)
	if err != nil {
		return err
	}
	b.info.Versioning = state
	return nil
}

func md5hex(data []byte) string { s := md5.Sum(data); return hex.EncodeToString(s[:]) }

// store adds a version (or delete marker) as the newest of key.
func (f *fakeBackend) PutBucketConfig(ctx context.Context, tenant, bucket, name string, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(tenant, bucket)
	if err != nil {
		return err
	}
	if value == nil {
		delete(b.info.Configs, name)
		return nil
	}
	if b.info.Configs == nil {
		b.info.Configs = map[string][]byte{}
	}
	b.info.Configs[name] = append([]byte(nil), value...)
	return nil
}

func (f *fakeBackend) store(b *fakeBucket, key string, v *fakeVersion) {
	v.info.Bucket, v.info.Key = b.info.Name, key
	v.info.LastModified = f.tick()
	v.info.Versioned = b.info.Versioning != objects.VersioningUnset
	if b.info.Versioning == objects.VersioningEnabled {
		f.seq++
		v.info.VersionID = fmt.Sprintf("v%04d", f.seq)
	} else {
		v.info.VersionID = objects.NullVersionID
		old := b.versions[key][:0]
		for _, o := range b.versions[key] {
			if o.info.VersionID != objects.NullVersionID {
				old = append(old, o)
			}
		}
		b.versions[key] = old
	}
	b.versions[key] = append(b.versions[key], v)
}

func (f *fakeBackend) PutObject(ctx context.Context, in objects.PutInput) (objects.ObjectInfo, error) {
	data, err := io.ReadAll(in.Body)
	if err != nil {
		return objects.ObjectInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Tenant, in.Bucket)
	if err != nil {
		return objects.ObjectInfo{}, err
	}
	if in.Cond.IfNoneMatch == "*" && f.latest(b, in.Key) != nil {
		return objects.ObjectInfo{}, errs.New(errs.PreconditionFailed, "")
	}
	v := &fakeVersion{data: data, info: objects.ObjectInfo{Size: int64(len(data)), ETag: md5hex(data), Meta: in.Meta, Tags: in.Tags, Checksum: in.Body.Checksum()}}
	f.store(b, in.Key, v)
	return v.info, nil
}

func (f *fakeBackend) latest(b *fakeBucket, key string) *fakeVersion {
	vs := b.versions[key]
	if len(vs) == 0 || vs[len(vs)-1].info.DeleteMarker {
		return nil
	}
	return vs[len(vs)-1]
}

func (f *fakeBackend) find(b *fakeBucket, key, versionID string) (*fakeVersion, error) {
	vs := b.versions[key]
	var v *fakeVersion
	if versionID == "" {
		if len(vs) > 0 {
			v = vs[len(vs)-1]
		}
	} else {
		for _, x := range vs {
			if x.info.VersionID == versionID {
				v = x
			}
		}
		if v == nil {
			return nil, errs.New(errs.NoSuchVersion, "")
		}
	}
	switch {
	case v == nil:
		return nil, errs.New(errs.NoSuchKey, "")
	case v.info.DeleteMarker && versionID == "":
		return nil, &objects.DeleteMarkerError{VersionID: v.info.VersionID, Err: errs.New(errs.NoSuchKey, "")}
	case v.info.DeleteMarker:
		return nil, &objects.DeleteMarkerError{VersionID: v.info.VersionID, Err: errs.New(errs.MethodNotAllowed, "")}
	}
	return v, nil
}

func (f *fakeBackend) GetObject(ctx context.Context, in objects.GetInput) (*objects.GetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Tenant, in.Bucket)
	if err != nil {
		return nil, err
	}
	v, err := f.find(b, in.Key, in.VersionID)
	if err != nil {
		return nil, err
	}
	if in.Cond.IfNoneMatch != "" && in.Cond.IfNoneMatch == v.info.ETag {
		return nil, errs.New(errs.NotModified, "")
	}
	if in.Cond.IfMatch != "" && in.Cond.IfMatch != v.info.ETag {
		return nil, errs.New(errs.PreconditionFailed, "")
	}
	out := &objects.GetOutput{Info: v.info, Length: v.info.Size, PartsCount: len(v.info.Parts)}
	if r := in.Range; r != nil {
		size := v.info.Size
		start, end := r.Start, r.End
		if r.Suffix > 0 {
			start, end = max(size-r.Suffix, 0), size-1
		}
		if end < 0 || end >= size {
			end = size - 1
		}
		if start >= size {
			return nil, errs.New(errs.InvalidRange, "")
		}
		out.Start, out.Length, out.Partial = start, end-start+1, true
	}
	if in.PartNumber > 0 {
		var off int64
		for _, p := range v.info.Parts {
			if p.Number == in.PartNumber {
				out.Start, out.Length, out.Partial = off, p.Size, true
			}
			off += p.Size
		}
	}
	out.Body = io.NopCloser(bytes.NewReader(v.data[out.Start : out.Start+out.Length]))
	return out, nil
}

func (f *fakeBackend) HeadObject(ctx context.Context, in objects.GetInput) (*objects.GetOutput, error) {
	out, err := f.GetObject(ctx, in)
	if out != nil {
		out.Body = nil
	}
	return out, err
}

func (f *fakeBackend) DeleteObject(ctx context.Context, in objects.DeleteInput) (objects.DeleteOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Tenant, in.Bucket)
	if err != nil {
		return objects.DeleteOutput{}, err
	}
	if in.VersionID != "" {
		vs := b.versions[in.Key]
		for i, v := range vs {
			if v.info.VersionID == in.VersionID {
				b.versions[in.Key] = append(vs[:i:i], vs[i+1:]...)
				if len(b.versions[in.Key]) == 0 {
					delete(b.versions, in.Key)
				}
				return objects.DeleteOutput{VersionID: in.VersionID, DeleteMarker: v.info.DeleteMarker}, nil
			}
		}
		return objects.DeleteOutput{}, errs.New(errs.NoSuchVersion, "")
	}
	if b.info.Versioning == objects.VersioningUnset {
		delete(b.versions, in.Key)
		return objects.DeleteOutput{}, nil
	}
	dm := &fakeVersion{info: objects.ObjectInfo{DeleteMarker: true}}
	f.store(b, in.Key, dm)
	return objects.DeleteOutput{VersionID: dm.info.VersionID, DeleteMarker: true}, nil
}

func (f *fakeBackend) CopyObject(ctx context.Context, in objects.CopyInput) (objects.CopyOutput, error) {
	if err := objects.CheckCopyOntoItself(in); err != nil {
		return objects.CopyOutput{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sb, err := f.bucket(in.SrcTenant, in.SrcBucket)
	if err != nil {
		return objects.CopyOutput{}, err
	}
	src, err := f.find(sb, in.SrcKey, in.SrcVersionID)
	if err != nil {
		return objects.CopyOutput{}, err
	}
	db, err := f.bucket(in.Tenant, in.Bucket)
	if err != nil {
		return objects.CopyOutput{}, err
	}
	v := &fakeVersion{data: src.data, info: src.info}
	v.info.DeleteMarker = false
	if in.ReplaceMeta {
		v.info.Meta = in.Meta
	}
	if in.ReplaceTags {
		v.info.Tags = in.Tags
	}
	f.store(db, in.Key, v)
	return objects.CopyOutput{Info: v.info, SrcVersionID: src.info.VersionID}, nil
}

func (f *fakeBackend) ListObjects(ctx context.Context, in objects.ListInput) (objects.ListOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Tenant, in.Bucket)
	if err != nil {
		return objects.ListOutput{}, err
	}
	var keys []string
	for k := range b.versions {
		if f.latest(b, k) != nil && strings.HasPrefix(k, in.Prefix) && k > in.After {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out objects.ListOutput
	n := 0
	for _, k := range keys {
		cp := ""
		if in.Delimiter != "" {
			if i := strings.Index(k[len(in.Prefix):], in.Delimiter); i >= 0 {
				cp = k[:len(in.Prefix)+i+len(in.Delimiter)]
			}
		}
		if cp != "" && (cp <= in.After || (len(out.CommonPrefixes) > 0 && out.CommonPrefixes[len(out.CommonPrefixes)-1] == cp)) {
			continue
		}
		if n == in.MaxKeys {
			out.IsTruncated = true
			break
		}
		n++
		if cp != "" {
			out.CommonPrefixes = append(out.CommonPrefixes, cp)
			out.NextAfter = cp
		} else {
			out.Objects = append(out.Objects, f.latest(b, k).info)
			out.NextAfter = k
		}
	}
	return out, nil
}

func (f *fakeBackend) ListObjectVersions(ctx context.Context, in objects.ListVersionsInput) (objects.ListVersionsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Tenant, in.Bucket)
	if err != nil {
		return objects.ListVersionsOutput{}, err
	}
	var keys []string
	for k := range b.versions {
		if strings.HasPrefix(k, in.Prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out objects.ListVersionsOutput
	for _, k := range keys {
		vs := b.versions[k]
		for i := len(vs) - 1; i >= 0; i-- {
			info := vs[i].info
			info.IsLatest = i == len(vs)-1
			out.Versions = append(out.Versions, info)
		}
	}
	return out, nil
}

func (f *fakeBackend) PutObjectTagging(ctx context.Context, tenant, bucket, key, versionID string, tags []objects.Tag) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(tenant, bucket)
	if err != nil {
		return "", err
	}
	v, err := f.find(b, key, versionID)
	if err != nil {
		return "", err
	}
	v.info.Tags = tags
	return v.info.VersionID, nil
}

func (f *fakeBackend) GetObjectTagging(ctx context.Context, tenant, bucket, key, versionID string) ([]objects.Tag, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(tenant, bucket)
	if err != nil {
		return nil, "", err
	}
	v, err := f.find(b, key, versionID)
	if err != nil {
		return nil, "", err
	}
	return v.info.Tags, v.info.VersionID, nil
}

func (f *fakeBackend) CreateMultipartUpload(ctx context.Context, in objects.CreateUploadInput) (objects.UploadInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.bucket(in.Tenant, in.Bucket); err != nil {
		return objects.UploadInfo{}, err
	}
	f.seq++
	u := &fakeUpload{parts: map[int]*fakeVersion{}, info: objects.UploadInfo{
		Bucket: in.Bucket, Key: in.Key, UploadID: fmt.Sprintf("up%04d", f.seq), Initiated: f.tick(),
		Meta: in.Meta, ChecksumAlgorithm: in.ChecksumAlgorithm, ChecksumType: in.ChecksumType,
	}}
	f.uploads[u.info.UploadID] = u
	return u.info, nil
}

func (f *fakeBackend) upload(tenant, bucket, key, id string) (*fakeUpload, error) {
	if _, err := f.bucket(tenant, bucket); err != nil {
		return nil, err
	}
	u, ok := f.uploads[id]
	if !ok || u.info.Key != key || u.info.Bucket != bucket {
		return nil, errs.New(errs.NoSuchUpload, "")
	}
	return u, nil
}

func (f *fakeBackend) UploadPart(ctx context.Context, in objects.UploadPartInput) (objects.PartInfo, error) {
	data, err := io.ReadAll(in.Body)
	if err != nil {
		return objects.PartInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.upload(in.Tenant, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return objects.PartInfo{}, err
	}
	p := &fakeVersion{data: data, info: objects.ObjectInfo{Size: int64(len(data)), ETag: md5hex(data), LastModified: f.tick()}}
	u.parts[in.PartNumber] = p
	return objects.PartInfo{Number: in.PartNumber, Size: p.info.Size, ETag: p.info.ETag, LastModified: p.info.LastModified}, nil
}

func (f *fakeBackend) UploadPartCopy(ctx context.Context, in objects.UploadPartCopyInput) (objects.PartInfo, string, error) {
	return objects.PartInfo{}, "", errs.New(errs.NotImplemented, "fake")
}

func (f *fakeBackend) CompleteMultipartUpload(ctx context.Context, in objects.CompleteInput) (objects.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.upload(in.Tenant, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return objects.ObjectInfo{}, err
	}
	var data, sums []byte
	var parts []objects.PartInfo
	for i, cp := range in.Parts {
		p, ok := u.parts[cp.Number]
		if !ok || strings.Trim(cp.ETag, `"`) != p.info.ETag {
			return objects.ObjectInfo{}, errs.New(errs.InvalidPart, "")
		}
		if i > 0 && cp.Number <= in.Parts[i-1].Number {
			return objects.ObjectInfo{}, errs.New(errs.InvalidPartOrder, "")
		}
		data = append(data, p.data...)
		raw, _ := hex.DecodeString(p.info.ETag)
		sums = append(sums, raw...)
		parts = append(parts, objects.PartInfo{Number: cp.Number, Size: p.info.Size, ETag: p.info.ETag})
	}
	b, _ := f.bucket(in.Tenant, in.Bucket)
	v := &fakeVersion{data: data, info: objects.ObjectInfo{
		Size: int64(len(data)), ETag: fmt.Sprintf("%s-%d", md5hex(sums), len(parts)), Meta: u.info.Meta, Parts: parts,
	}}
	f.store(b, in.Key, v)
	delete(f.uploads, in.UploadID)
	return v.info, nil
}

func (f *fakeBackend) AbortMultipartUpload(ctx context.Context, tenant, bucket, key, uploadID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.upload(tenant, bucket, key, uploadID); err != nil {
		return err
	}
	delete(f.uploads, uploadID)
	return nil
}

func (f *fakeBackend) ListParts(ctx context.Context, in objects.ListPartsInput) (objects.ListPartsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.upload(in.Tenant, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return objects.ListPartsOutput{}, err
	}
	out := objects.ListPartsOutput{Upload: u.info}
	var nums []int
	for n := range u.parts {
		if n > in.PartNumberMarker {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		if len(out.Parts) == in.MaxParts {
			out.IsTruncated = true
			break
		}
		p := u.parts[n].info
		out.Parts = append(out.Parts, objects.PartInfo{Number: n, Size: p.Size, ETag: p.ETag, LastModified: p.LastModified})
		out.NextPartNumberMarker = n
	}
	return out, nil
}

func (f *fakeBackend) ListMultipartUploads(ctx context.Context, in objects.ListUploadsInput) (objects.ListUploadsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.bucket(in.Tenant, in.Bucket); err != nil {
		return objects.ListUploadsOutput{}, err
	}
	var out objects.ListUploadsOutput
	for _, u := range f.uploads {
		if u.info.Bucket == in.Bucket && strings.HasPrefix(u.info.Key, in.Prefix) {
			out.Uploads = append(out.Uploads, u.info)
		}
	}
	sort.Slice(out.Uploads, func(i, j int) bool { return out.Uploads[i].Key < out.Uploads[j].Key })
	return out, nil
}

// fakeAuthz allows everything except what deny reports, and records the questions.
type fakeAuthz struct {
	mu   sync.Mutex
	deny func(core.Request) bool
	seen []core.Request
}

func (a *fakeAuthz) Authorize(ctx context.Context, r core.Request) error {
	a.mu.Lock()
	a.seen = append(a.seen, r)
	a.mu.Unlock()
	if a.deny != nil && a.deny(r) {
		return errs.New(errs.AccessDenied, "Access Denied")
	}
	return nil
}

// fakeCreds knows one access key.
type fakeCreds struct{ cred core.Credential }

func (c fakeCreds) Credential(ctx context.Context, ak string) (core.Credential, error) {
	if ak != c.cred.AccessKey {
		return core.Credential{}, errs.New(errs.InvalidAccessKeyID, "The AWS access key Id you provided does not exist in our records.")
	}
	return c.cred, nil
}

var testPrincipal = core.Principal{Tenant: "t1", UserID: "u-alice", UserName: "alice", AccessKey: "AKIDALICE"}

// harness is an S3 handler over a fake backend, authenticated as testPrincipal
// without signatures (the layers below SigV4 are under test).
type harness struct {
	t     *testing.T
	be    *fakeBackend
	authz *fakeAuthz
	srv   *httptest.Server
	opts  Options
}

func newHarness(t *testing.T, mod func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, be: newFakeBackend(), authz: &fakeAuthz{}}
	h.opts = Options{
		Backend:    h.be,
		Authorizer: h.authz,
		authenticate: func(r *http.Request) (core.Principal, *sigv4.Auth, error) {
			return testPrincipal, &sigv4.Auth{AccessKey: testPrincipal.AccessKey, Mode: sigv4.PayloadUnsigned, DecodedLength: -1}, nil
		},
	}
	if mod != nil {
		mod(&h.opts)
	}
	handler, err := New(h.opts)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	return h
}

// do sends a request; path is the raw (escaped) path and query.
func (h *harness) do(method, path string, body string, hdr ...string) *http.Response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if method == http.MethodPut && body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
		req.Header.Set("Content-Length", "0")
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// want checks the status and returns the body.
func (h *harness) want(resp *http.Response, status int) string {
	h.t.Helper()
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		h.t.Fatalf("%s %s: status %d, want %d; body:\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, status, b)
	}
	return string(b)
}

func (f *fakeBackend) DeleteObjects(ctx context.Context, tenant, bucket string, ins []objects.DeleteInput) []objects.DeleteResult {
	res := make([]objects.DeleteResult, len(ins))
	for i, in := range ins {
		in.Tenant, in.Bucket = tenant, bucket
		res[i].DeleteOutput, res[i].Err = f.DeleteObject(ctx, in)
	}
	return res
}
