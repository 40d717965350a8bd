package loadgen

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/sigv4"
)

// FakeS3Options tunes FakeS3.
type FakeS3Options struct {
	// AccessKey and SecretKey are the only credentials accepted when Verify.
	AccessKey, SecretKey string
	// Verify checks every request with Coffer's own SigV4 verifier
	// (internal/sigv4): the signature, the payload in every mode (the
	// signed SHA-256, each aws-chunked chunk signature, the decoded
	// length) and a trailer's checksum against the decoded bytes.
	Verify bool
	// KeepData stores object bytes; otherwise only sizes are kept and GET
	// serves filler bytes, which makes the server as cheap as it gets.
	KeepData bool
}

// FakeS3 is an in-memory S3 subset (CreateBucket, Put/Get/Head/DeleteObject,
// ListObjectsV2), enough for the workloads. With Verify and KeepData it
// checks the client in tests; without them it measures the client's own
// ceiling (coffer-bench -selftest-server).
type FakeS3 struct {
	opts   FakeS3Options
	filler []byte

	mu      sync.RWMutex
	buckets map[string]*fakeBucket
}

type fakeBucket struct {
	objects map[string]fakeObject
	sorted  []string // keys in order, rebuilt when stale
	stale   bool
}

type fakeObject struct {
	size int64
	data []byte // nil unless KeepData
}

// NewFakeS3 returns an empty server.
func NewFakeS3(opts FakeS3Options) *FakeS3 {
	f := &FakeS3{
		opts:    opts,
		filler:  make([]byte, 256*kib),
		buckets: map[string]*fakeBucket{},
	}
	for i := range f.filler {
		f.filler[i] = byte(i * 7)
	}
	return f
}

// ObjectCount is the number of objects in bucket.
func (f *FakeS3) ObjectCount(bucket string) int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if b := f.buckets[bucket]; b != nil {
		return len(b.objects)
	}
	return 0
}

func fakeError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code></Error>", code)
}

// lookup is the fake's one credential.
func (f *FakeS3) lookup(ak string) (string, error) {
	if ak != f.opts.AccessKey {
		return "", errs.New(errs.InvalidAccessKeyID, "unknown access key")
	}
	return f.opts.SecretKey, nil
}

// errorStatus maps a verification failure to its S3 answer.
func errorStatus(err error) (int, string) {
	k := errs.KindOf(err)
	switch k {
	case errs.SignatureDoesNotMatch, errs.InvalidAccessKeyID, errs.AccessDenied, errs.RequestTimeTooSkewed:
		return http.StatusForbidden, k.String()
	}
	return http.StatusBadRequest, k.String()
}

func (f *FakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var auth *sigv4.Auth
	if f.opts.Verify {
		a, err := sigv4.Verify(r, f.lookup, sigv4.Options{})
		if err != nil {
			_, _ = io.Copy(io.Discard, r.Body)
			st, code := errorStatus(err)
			fakeError(w, st, code)
			return
		}
		auth = a
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket == "" {
		fakeError(w, http.StatusBadRequest, "InvalidRequest")
		return
	}
	if key == "" {
		switch r.Method {
		case http.MethodPut:
			f.createBucket(w, bucket)
		case http.MethodGet:
			f.list(w, r, bucket)
		default:
			fakeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
		}
		return
	}
	switch r.Method {
	case http.MethodPut:
		f.put(w, r, auth, bucket, key)
	case http.MethodGet, http.MethodHead:
		f.get(w, r, bucket, key)
	case http.MethodDelete:
		f.mu.Lock()
		if b := f.buckets[bucket]; b != nil {
			if _, ok := b.objects[key]; ok {
				delete(b.objects, key)
				b.stale = true
			}
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		fakeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
	}
}

func (f *FakeS3) createBucket(w http.ResponseWriter, bucket string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buckets[bucket] != nil {
		fakeError(w, http.StatusConflict, "BucketAlreadyOwnedByYou")
		return
	}
	f.buckets[bucket] = &fakeBucket{objects: map[string]fakeObject{}}
	w.WriteHeader(http.StatusOK)
}

func (f *FakeS3) put(w http.ResponseWriter, r *http.Request, auth *sigv4.Auth, bucket, key string) {
	var (
		data bytes.Buffer
		dst  io.Writer = io.Discard
		src  io.Reader = r.Body
		body *sigv4.BodyReader
		sum  hash.Hash // the declared trailer's checksum of the decoded bytes
		alg  checksum.Algorithm
	)
	if f.opts.KeepData {
		if r.ContentLength > 0 {
			data.Grow(int(r.ContentLength))
		}
		dst = &data
	}
	if auth != nil {
		body = auth.Body(r.Body)
		src = body
		if t := r.Header.Get("X-Amz-Trailer"); t != "" {
			for _, a := range checksum.Algorithms {
				if strings.EqualFold(t, a.HeaderName()) {
					alg, sum = a, checksum.New(a)
				}
			}
			if sum == nil {
				fakeError(w, http.StatusBadRequest, "InvalidRequest")
				return
			}
			dst = io.MultiWriter(dst, sum)
		}
	}
	n, err := io.Copy(dst, src)
	if err != nil {
		st, code := errorStatus(err)
		fakeError(w, st, code)
		return
	}
	if auth != nil && auth.DecodedLength >= 0 && n != auth.DecodedLength {
		fakeError(w, http.StatusBadRequest, "IncompleteBody")
		return
	}
	if sum != nil {
		got := body.Trailer().Get(alg.HeaderName())
		if want := base64.StdEncoding.EncodeToString(sum.Sum(nil)); got != want {
			fakeError(w, http.StatusBadRequest, "BadDigest")
			return
		}
	}
	obj := fakeObject{size: n}
	if f.opts.KeepData {
		obj.data = data.Bytes()
	}
	f.mu.Lock()
	b := f.buckets[bucket]
	if b != nil {
		if _, ok := b.objects[key]; !ok {
			b.stale = true
		}
		b.objects[key] = obj
	}
	f.mu.Unlock()
	if b == nil {
		fakeError(w, http.StatusNotFound, "NoSuchBucket")
		return
	}
	w.Header().Set("ETag", `"fake"`)
	w.WriteHeader(http.StatusOK)
}

func (f *FakeS3) get(w http.ResponseWriter, r *http.Request, bucket, key string) {
	f.mu.RLock()
	b := f.buckets[bucket]
	var (
		obj fakeObject
		ok  bool
	)
	if b != nil {
		obj, ok = b.objects[key]
	}
	f.mu.RUnlock()
	if !ok {
		fakeError(w, http.StatusNotFound, "NoSuchKey")
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(obj.size, 10))
	w.Header().Set("ETag", `"fake"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if obj.data != nil {
		_, _ = w.Write(obj.data)
		return
	}
	for left := obj.size; left > 0; {
		n := min(left, int64(len(f.filler)))
		if _, err := w.Write(f.filler[:n]); err != nil {
			return
		}
		left -= n
	}
}

// list serves ListObjectsV2; the continuation token is the last key sent.
func (f *FakeS3) list(w http.ResponseWriter, r *http.Request, bucket string) {
	q := r.URL.Query()
	if q.Get("list-type") != "2" {
		fakeError(w, http.StatusNotImplemented, "NotImplemented")
		return
	}
	prefix, token := q.Get("prefix"), q.Get("continuation-token")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fakeError(w, http.StatusBadRequest, "InvalidArgument")
			return
		}
		maxKeys = min(n, 1000)
	}
	f.mu.Lock()
	b := f.buckets[bucket]
	if b == nil {
		f.mu.Unlock()
		fakeError(w, http.StatusNotFound, "NoSuchBucket")
		return
	}
	if b.stale || b.sorted == nil {
		b.sorted = b.sorted[:0]
		for k := range b.objects {
			b.sorted = append(b.sorted, k)
		}
		slices.Sort(b.sorted)
		b.stale = false
	}
	from := prefix
	if token > from {
		from = token
	}
	i, _ := slices.BinarySearch(b.sorted, from)
	if i < len(b.sorted) && b.sorted[i] == token {
		i++
	}
	var keys []string
	var sizes []int64
	truncated := false
	for ; i < len(b.sorted) && strings.HasPrefix(b.sorted[i], prefix); i++ {
		if len(keys) == maxKeys {
			truncated = true
			break
		}
		keys = append(keys, b.sorted[i])
		sizes = append(sizes, b.objects[b.sorted[i]].size)
	}
	f.mu.Unlock()

	var out bytes.Buffer
	out.Grow(200 + 200*len(keys))
	out.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>`)
	_ = xml.EscapeText(&out, []byte(bucket))
	out.WriteString("</Name><Prefix>")
	_ = xml.EscapeText(&out, []byte(prefix))
	fmt.Fprintf(&out, "</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>%t</IsTruncated>", len(keys), maxKeys, truncated)
	if truncated {
		out.WriteString("<NextContinuationToken>")
		_ = xml.EscapeText(&out, []byte(keys[len(keys)-1]))
		out.WriteString("</NextContinuationToken>")
	}
	for i, k := range keys {
		out.WriteString("<Contents><Key>")
		_ = xml.EscapeText(&out, []byte(k))
		fmt.Fprintf(&out, `</Key><ETag>"fake"</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`, sizes[i])
	}
	out.WriteString("</ListBucketResult>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
	_, _ = w.Write(out.Bytes())
}
