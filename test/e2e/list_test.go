package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The listing fixture: 3,000 keys in a nested layout, shared by the listing
// tests and deleted after the suite.
//
//	a00/b00/c000.txt .. a09/b09/c028.txt   (10 x 10 x 29 = 2,900 keys)
//	root000 .. root099                      (100 keys)
type listFixture struct {
	bucket string
	keys   []string // sorted
	err    error
}

var (
	fixtureOnce sync.Once
	fixture     listFixture
)

func listingFixture(t *testing.T) listFixture {
	t.Helper()
	c := s3c(t)
	fixtureOnce.Do(func() {
		b := "e2e-listing-" + randHex(10)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			fixture.err = fmt.Errorf("CreateBucket: %w", err)
			return
		}
		registerSuiteCleanup(func() { destroyBucket(stderrf, c, b) })
		var keys []string
		for i := 0; i < 10; i++ {
			for j := 0; j < 10; j++ {
				for k := 0; k < 29; k++ {
					keys = append(keys, fmt.Sprintf("a%02d/b%02d/c%03d.txt", i, j, k))
				}
			}
		}
		for i := 0; i < 100; i++ {
			keys = append(keys, fmt.Sprintf("root%03d", i))
		}
		sort.Strings(keys)
		work := make(chan string)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range work {
					_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k), Body: bytes.NewReader([]byte(k))})
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("PutObject %s: %w", k, err)
						}
						mu.Unlock()
					}
				}
			}()
		}
		for _, k := range keys {
			work <- k
		}
		close(work)
		wg.Wait()
		fixture = listFixture{bucket: b, keys: keys, err: firstErr}
	})
	if fixture.err != nil {
		t.Fatalf("listing fixture: %v", fixture.err)
	}
	return fixture
}

// listV2All pages through ListObjectsV2 and returns keys and common prefixes
// in the order received, checking per-page invariants.
func listV2All(t *testing.T, in s3.ListObjectsV2Input) (keys, prefixes []string, pages int) {
	t.Helper()
	c := s3c(t)
	maxKeys := int(aws.ToInt32(in.MaxKeys))
	if maxKeys == 0 {
		maxKeys = 1000
	}
	for {
		out, err := c.ListObjectsV2(ctxT(t), &in)
		if err != nil {
			t.Fatalf("ListObjectsV2 page %d: %v", pages, err)
		}
		pages++
		n := len(out.Contents) + len(out.CommonPrefixes)
		if n > maxKeys {
			t.Fatalf("ListObjectsV2 page %d: %d entries exceed max-keys %d", pages, n, maxKeys)
		}
		if got := int(aws.ToInt32(out.KeyCount)); got != n {
			t.Fatalf("ListObjectsV2 page %d: KeyCount %d, want %d (contents+prefixes)", pages, got, n)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
		if !aws.ToBool(out.IsTruncated) {
			if out.NextContinuationToken != nil {
				t.Fatalf("ListObjectsV2 last page carries NextContinuationToken %q", aws.ToString(out.NextContinuationToken))
			}
			return
		}
		if aws.ToString(out.NextContinuationToken) == "" {
			t.Fatalf("ListObjectsV2 page %d truncated without NextContinuationToken", pages)
		}
		if n == 0 {
			t.Fatalf("ListObjectsV2 page %d truncated but empty", pages)
		}
		if pages > 10000 {
			t.Fatalf("ListObjectsV2: runaway pagination")
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

func assertSortedUnique(t *testing.T, what string, s []string) {
	t.Helper()
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			t.Fatalf("%s: not strictly ascending at %d: %q then %q", what, i, s[i-1], s[i])
		}
	}
}

func assertSameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := slices.Clone(got)
	sort.Strings(g)
	for i := 1; i < len(g); i++ {
		if g[i] == g[i-1] {
			t.Fatalf("%s: duplicate %q", what, g[i])
		}
	}
	w := slices.Clone(want)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		missing, extra := diff(w, g), diff(g, w)
		t.Fatalf("%s: got %d entries, want %d; missing %d (e.g. %q), extra %d (e.g. %q)", what, len(g), len(w), len(missing), head(missing), len(extra), head(extra))
	}
}

func diff(a, b []string) []string {
	set := map[string]bool{}
	for _, x := range b {
		set[x] = true
	}
	var out []string
	for _, x := range a {
		if !set[x] {
			out = append(out, x)
		}
	}
	return out
}

func head(s []string) []string { return s[:min(len(s), 3)] }

func TestListObjectsV2_paginate_maxKeys100and1000(t *testing.T) {
	t.Parallel()
	f := listingFixture(t)
	for _, mk := range []int32{100, 1000} {
		keys, prefixes, pages := listV2All(t, s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), MaxKeys: aws.Int32(mk)})
		assertSortedUnique(t, fmt.Sprintf("max-keys=%d", mk), keys)
		assertSameSet(t, fmt.Sprintf("max-keys=%d union", mk), keys, f.keys)
		if len(prefixes) != 0 {
			t.Fatalf("no delimiter but got common prefixes %v", head(prefixes))
		}
		if min := 3000 / int(mk); pages < min || pages > min+1 {
			t.Fatalf("max-keys=%d: got %d pages, want %d", mk, pages, min)
		}
	}
	// Default max-keys is 1000.
	out, err := s3c(t).ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(f.bucket)})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if len(out.Contents) != 1000 || !aws.ToBool(out.IsTruncated) || aws.ToInt32(out.MaxKeys) != 1000 {
		t.Fatalf("default page: got %d keys truncated=%v MaxKeys=%d, want 1000 true 1000", len(out.Contents), aws.ToBool(out.IsTruncated), aws.ToInt32(out.MaxKeys))
	}
	for _, o := range out.Contents {
		if aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) || aws.ToString(o.ETag) != quotedMD5([]byte(aws.ToString(o.Key))) || o.LastModified == nil {
			t.Fatalf("listing entry %q: size %d etag %s", aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToString(o.ETag))
		}
		if o.StorageClass != types.ObjectStorageClassStandard {
			t.Fatalf("listing entry %q: StorageClass %q, want STANDARD", aws.ToString(o.Key), o.StorageClass)
		}
	}
}

// When the remaining keys exactly fill a page, that page is the last one:
// IsTruncated=false and no NextContinuationToken (no trailing empty page).
func TestListObjectsV2_exactMultiple_notTruncated(t *testing.T) {
	t.Parallel()
	f := listingFixture(t)
	for _, mk := range []int32{100, 1000} {
		_, _, pages := listV2All(t, s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), MaxKeys: aws.Int32(mk)})
		if want := 3000 / int(mk); pages != want {
			t.Fatalf("3000 keys with max-keys=%d: got %d pages, want %d (last full page must have IsTruncated=false)", mk, pages, want)
		}
	}
	out, err := s3c(t).ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), Prefix: aws.String("a00/b00/"), MaxKeys: aws.Int32(29)})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if len(out.Contents) != 29 || aws.ToBool(out.IsTruncated) {
		t.Fatalf("29 keys with max-keys=29: got %d keys IsTruncated=%v, want 29 false", len(out.Contents), aws.ToBool(out.IsTruncated))
	}
}

func TestListObjectsV2_delimiterPrefix_paginated(t *testing.T) {
	t.Parallel()
	f := listingFixture(t)
	type tc struct {
		prefix       string
		maxKeys      int32
		wantKeys     []string
		wantPrefixes []string
	}
	var top, a03, a03b04 []string
	var roots []string
	for i := 0; i < 10; i++ {
		top = append(top, fmt.Sprintf("a%02d/", i))
		a03 = append(a03, fmt.Sprintf("a03/b%02d/", i))
	}
	for i := 0; i < 100; i++ {
		roots = append(roots, fmt.Sprintf("root%03d", i))
	}
	for k := 0; k < 29; k++ {
		a03b04 = append(a03b04, fmt.Sprintf("a03/b04/c%03d.txt", k))
	}
	cases := []tc{
		{"", 1000, roots, top},
		{"", 7, roots, top},
		{"a03/", 3, nil, a03},
		{"a03/b04/", 10, a03b04, nil},
		{"a03/b04/c01", 1000, a03b04[10:20], nil},
		{"a0", 4, nil, top},
		{"zzz", 1000, nil, nil},
	}
	for _, tc := range cases {
		keys, prefixes, _ := listV2All(t, s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), Prefix: aws.String(tc.prefix), Delimiter: aws.String("/"), MaxKeys: aws.Int32(tc.maxKeys)})
		what := fmt.Sprintf("prefix=%q delimiter=/ max-keys=%d", tc.prefix, tc.maxKeys)
		assertSortedUnique(t, what+" keys", keys)
		assertSortedUnique(t, what+" prefixes", prefixes)
		assertSameSet(t, what+" keys", keys, tc.wantKeys)
		assertSameSet(t, what+" common prefixes", prefixes, tc.wantPrefixes)
	}
	out, err := s3c(t).ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), Prefix: aws.String("a03/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if aws.ToString(out.Prefix) != "a03/" || aws.ToString(out.Delimiter) != "/" || aws.ToString(out.Name) != f.bucket {
		t.Fatalf("ListObjectsV2 echo: Prefix %q Delimiter %q Name %q", aws.ToString(out.Prefix), aws.ToString(out.Delimiter), aws.ToString(out.Name))
	}
}

func TestListObjectsV2_startAfter(t *testing.T) {
	t.Parallel()
	f := listingFixture(t)
	start := "a05/b05/c010.txt"
	keys, _, _ := listV2All(t, s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), StartAfter: aws.String(start), MaxKeys: aws.Int32(500)})
	var want []string
	for _, k := range f.keys {
		if k > start {
			want = append(want, k)
		}
	}
	assertSortedUnique(t, "start-after", keys)
	assertSameSet(t, "start-after="+start, keys, want)
	if keys[0] != "a05/b05/c011.txt" {
		t.Fatalf("first key after %q: got %q", start, keys[0])
	}
	// start-after a key that does not exist, between two keys.
	keys, _, _ = listV2All(t, s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), StartAfter: aws.String("a09/b09/c028.txt~"), MaxKeys: aws.Int32(1000)})
	assertSameSet(t, "start-after between", keys, f.keys[2900:])
	// start-after combined with a delimiter skips whole prefixes.
	keys, prefixes, _ := listV2All(t, s3.ListObjectsV2Input{Bucket: aws.String(f.bucket), StartAfter: aws.String("a06/zzz"), Delimiter: aws.String("/")})
	assertSameSet(t, "start-after=a06/zzz delimiter=/ prefixes", prefixes, []string{"a07/", "a08/", "a09/"})
	if len(keys) != 100 {
		t.Fatalf("start-after=a06/zzz delimiter=/: got %d keys, want the 100 root keys", len(keys))
	}
}

func TestListObjects_v1_markerNextMarker(t *testing.T) {
	t.Parallel()
	f := listingFixture(t)
	c := s3c(t)

	// With a delimiter, S3 returns NextMarker on truncated pages.
	var keys, prefixes []string
	var marker *string
	for pages := 0; ; pages++ {
		out, err := c.ListObjects(ctxT(t), &s3.ListObjectsInput{Bucket: aws.String(f.bucket), Delimiter: aws.String("/"), MaxKeys: aws.Int32(7), Marker: marker})
		if err != nil {
			t.Fatalf("ListObjects: %v", err)
		}
		if n := len(out.Contents) + len(out.CommonPrefixes); n > 7 {
			t.Fatalf("ListObjects page has %d entries > max-keys 7", n)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if aws.ToString(out.NextMarker) == "" {
			t.Fatalf("ListObjects v1 with delimiter: truncated page %d without NextMarker", pages)
		}
		if pages > 100 {
			t.Fatalf("ListObjects: runaway pagination")
		}
		marker = out.NextMarker
	}
	var wantPrefixes, wantRoots []string
	for i := 0; i < 10; i++ {
		wantPrefixes = append(wantPrefixes, fmt.Sprintf("a%02d/", i))
	}
	for i := 0; i < 100; i++ {
		wantRoots = append(wantRoots, fmt.Sprintf("root%03d", i))
	}
	assertSameSet(t, "ListObjects v1 delimiter keys", keys, wantRoots)
	assertSameSet(t, "ListObjects v1 delimiter prefixes", prefixes, wantPrefixes)

	// Without a delimiter: paginate with the last key as marker.
	keys = nil
	marker = aws.String("a08/")
	for {
		out, err := c.ListObjects(ctxT(t), &s3.ListObjectsInput{Bucket: aws.String(f.bucket), MaxKeys: aws.Int32(250), Marker: marker})
		if err != nil {
			t.Fatalf("ListObjects: %v", err)
		}
		if aws.ToString(out.Marker) != aws.ToString(marker) {
			t.Fatalf("ListObjects Marker echo: got %q, want %q", aws.ToString(out.Marker), aws.ToString(marker))
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = aws.String(keys[len(keys)-1])
	}
	assertSortedUnique(t, "ListObjects v1 marker", keys)
	assertSameSet(t, "ListObjects v1 marker=a08/", keys, f.keys[2320:])
}

func TestListObjectsV2_encodingTypeURL_oddKeys(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	keys := []string{"odd/with space", "odd/plus+sign", "odd/percent%25", "odd/ünïcödé", "odd/ctl\x01char", "odd/amp&lt<gt>", "odd/tab\tx", "odd/sub dir/leaf"}
	for _, k := range keys {
		putObject(t, b, k, []byte("x"))
	}
	out, err := c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("odd/"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatalf("ListObjectsV2 encoding-type=url: %v", err)
	}
	if out.EncodingType != types.EncodingTypeUrl {
		t.Fatalf("response EncodingType: got %q, want url", out.EncodingType)
	}
	var decoded []string
	for _, o := range out.Contents {
		raw := aws.ToString(o.Key)
		if strings.ContainsAny(raw, " \x01\t&<>ü") {
			t.Fatalf("encoding-type=url: key %q is not URL-encoded", raw)
		}
		d, err := url.QueryUnescape(raw)
		if err != nil {
			t.Fatalf("encoding-type=url: key %q does not decode: %v", raw, err)
		}
		decoded = append(decoded, d)
	}
	assertSameSet(t, "decoded keys", decoded, keys)

	// With a delimiter, common prefixes are encoded too.
	out, err = c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("odd/"), Delimiter: aws.String("/"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if len(out.CommonPrefixes) != 1 {
		t.Fatalf("common prefixes: got %d, want 1", len(out.CommonPrefixes))
	}
	if p, _ := url.QueryUnescape(aws.ToString(out.CommonPrefixes[0].Prefix)); p != "odd/sub dir/" || strings.Contains(aws.ToString(out.CommonPrefixes[0].Prefix), " ") {
		t.Fatalf("encoded common prefix: got %q", aws.ToString(out.CommonPrefixes[0].Prefix))
	}

	// ListObjects v1 and ListObjectVersions honour encoding-type too.
	v1, err := c.ListObjects(ctxT(t), &s3.ListObjectsInput{Bucket: aws.String(b), Prefix: aws.String("odd/ctl"), EncodingType: types.EncodingTypeUrl})
	if err != nil || len(v1.Contents) != 1 {
		t.Fatalf("ListObjects v1 encoding-type=url: err=%v n=%d", err, len(v1.Contents))
	}
	if k := aws.ToString(v1.Contents[0].Key); !strings.EqualFold(k, "odd/ctl%01char") {
		t.Fatalf("ListObjects v1 encoded key: got %q, want odd/ctl%%01char", k)
	}
	vs, err := c.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("odd/ctl"), EncodingType: types.EncodingTypeUrl})
	if err != nil || len(vs.Versions) != 1 {
		t.Fatalf("ListObjectVersions encoding-type=url: err=%v n=%d", err, len(vs.Versions))
	}
	if k := aws.ToString(vs.Versions[0].Key); !strings.EqualFold(k, "odd/ctl%01char") {
		t.Fatalf("ListObjectVersions encoded key: got %q, want odd/ctl%%01char", k)
	}
}

func TestListObjectsV2_fetchOwner(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	putObject(t, b, "o", []byte("x"))
	out, err := c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(true)})
	if err != nil || len(out.Contents) != 1 {
		t.Fatalf("ListObjectsV2 fetch-owner=true: err=%v n=%d", err, len(out.Contents))
	}
	if o := out.Contents[0].Owner; o == nil || aws.ToString(o.ID) == "" {
		t.Fatalf("fetch-owner=true: Owner missing: %+v", o)
	}
	out, err = c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	if err != nil || len(out.Contents) != 1 {
		t.Fatalf("ListObjectsV2: err=%v n=%d", err, len(out.Contents))
	}
	if o := out.Contents[0].Owner; o != nil {
		t.Fatalf("ListObjectsV2 without fetch-owner: Owner %+v returned, want none", o)
	}
	// ListObjects v1 always includes the owner.
	v1, err := c.ListObjects(ctxT(t), &s3.ListObjectsInput{Bucket: aws.String(b)})
	if err != nil || len(v1.Contents) != 1 || v1.Contents[0].Owner == nil || aws.ToString(v1.Contents[0].Owner.ID) == "" {
		t.Fatalf("ListObjects v1: owner missing (err=%v)", err)
	}
}

func TestListObjectsV2_maxKeysZeroAndEmptyBucket(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	out, err := c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("ListObjectsV2 empty bucket: %v", err)
	}
	if len(out.Contents) != 0 || aws.ToBool(out.IsTruncated) || aws.ToInt32(out.KeyCount) != 0 {
		t.Fatalf("empty bucket listing: %d keys truncated=%v", len(out.Contents), aws.ToBool(out.IsTruncated))
	}
	putObject(t, b, "k", []byte("x"))
	out, err = c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(0)})
	if err != nil {
		t.Fatalf("ListObjectsV2 max-keys=0: %v", err)
	}
	if len(out.Contents) != 0 {
		t.Fatalf("max-keys=0: got %d keys, want 0", len(out.Contents))
	}
	_, err = c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), ContinuationToken: aws.String("not-a-token")})
	wantErr(t, "ListObjectsV2 bogus continuation token", err, "InvalidArgument", 400)
}
