package e2e

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestCreateBucket_headBucket_exists(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	out, err := c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("HeadBucket %s: %v", b, err)
	}
	if got := statusOf(out.ResultMetadata); got != 200 {
		t.Fatalf("HeadBucket status: got %d, want 200", got)
	}
}

func TestCreateBucket_twice_BucketAlreadyOwnedByYou(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	_, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(b)})
	wantErr(t, "second CreateBucket", err, "BucketAlreadyOwnedByYou", 409)
}

func TestCreateBucket_invalidName_InvalidBucketName(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	names := map[string]string{
		"too-short":          "ab",
		"too-long":           strings.Repeat("a", 64),
		"uppercase":          "e2e-UpperCase-bucket",
		"underscore":         "e2e_underscore_bucket",
		"leading-hyphen":     "-e2e-leading-hyphen",
		"trailing-hyphen":    "e2e-trailing-hyphen-",
		"ip-address":         "192.168.10.20",
		"double-dot":         "e2e..double-dot",
		"dot-hyphen":         "e2e.-dot-hyphen",
		"xn--prefix":         "xn--e2e-prefix-bucket",
		"-s3alias-suffix":    "e2e-alias-bucket-s3alias",
		"--ol-s3-suffix":     "e2e-olap-bucket--ol-s3",
		"sthree--prefix":     "sthree-e2e-bucket",
		"space":              "e2e bucket",
		"trailing-dot":       "e2e-trailing-dot.",
		"leading-dot":        ".e2e-leading-dot",
		"non-ascii":          "e2e-bücket",
		"asterisk":           "e2e-*-bucket",
		"percent-encoded-ch": "e2e-%41-bucket",
	}
	for name, bucket := range names {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
			if err == nil {
				destroyBucket(t.Logf, c, bucket)
			}
			wantErr(t, "CreateBucket "+bucket, err, "InvalidBucketName", 400)
		})
	}
}

func TestHeadBucket_missing_NotFound(t *testing.T) {
	t.Parallel()
	_, err := s3c(t).HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String("e2e-missing-" + randHex(12))})
	wantErr(t, "HeadBucket missing", err, "", 404)
}

func TestDeleteBucket_nonEmpty_BucketNotEmpty(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	putObject(t, b, "k", []byte("x"))
	_, err := c.DeleteBucket(ctxT(t), &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantErr(t, "DeleteBucket non-empty", err, "BucketNotEmpty", 409)
	if _, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")}); err != nil {
		t.Fatalf("object vanished after refused DeleteBucket: %v", err)
	}
	if _, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	out, err := c.DeleteBucket(ctxT(t), &s3.DeleteBucketInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("DeleteBucket empty: %v", err)
	}
	if got := statusOf(out.ResultMetadata); got != 204 {
		t.Fatalf("DeleteBucket status: got %d, want 204", got)
	}
	_, err = c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(b)})
	wantErr(t, "HeadBucket after delete", err, "", 404)
}

func TestDeleteBucket_missing_NoSuchBucket(t *testing.T) {
	t.Parallel()
	_, err := s3c(t).DeleteBucket(ctxT(t), &s3.DeleteBucketInput{Bucket: aws.String("e2e-missing-" + randHex(12))})
	wantErr(t, "DeleteBucket missing", err, "NoSuchBucket", 404)
}

func TestBucketOperations_missingBucket_NoSuchBucket(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := aws.String("e2e-missing-" + randHex(12))
	_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("x")})
	wantErr(t, "PutObject", err, "NoSuchBucket", 404)
	_, err = c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: b, Key: aws.String("k")})
	wantErr(t, "GetObject", err, "NoSuchBucket", 404)
	_, err = c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: b})
	wantErr(t, "ListObjectsV2", err, "NoSuchBucket", 404)
	_, err = c.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: b})
	wantErr(t, "GetBucketVersioning", err, "NoSuchBucket", 404)
	_, err = c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("k")})
	wantErr(t, "CreateMultipartUpload", err, "NoSuchBucket", 404)
}

func TestListBuckets_containsCreated(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	out, err := c.ListBuckets(ctxT(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	found := false
	for _, bk := range out.Buckets {
		if aws.ToString(bk.Name) == b {
			found = true
			if bk.CreationDate == nil || bk.CreationDate.IsZero() {
				t.Fatalf("bucket %s: CreationDate missing", b)
			}
		}
	}
	if !found {
		t.Fatalf("ListBuckets: %s not among %d buckets", b, len(out.Buckets))
	}
	if out.Owner == nil || aws.ToString(out.Owner.ID) == "" {
		t.Fatalf("ListBuckets: Owner.ID missing: %+v", out.Owner)
	}
}

func TestListBuckets_prefix_maxBuckets_continuationToken(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	prefix := "e2e-lbp-" + randHex(8) + "-"
	var want []string
	for i := 0; i < 5; i++ {
		b := prefix + string(rune('a'+i))
		if _, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", b, err)
		}
		t.Cleanup(func() { destroyBucket(t.Logf, c, b) })
		want = append(want, b)
	}

	// Prefix alone.
	out, err := c.ListBuckets(ctxT(t), &s3.ListBucketsInput{Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("ListBuckets prefix: %v", err)
	}
	if got := bucketNames(out.Buckets); !slices.Equal(got, want) {
		t.Fatalf("ListBuckets prefix=%s: got %v, want %v", prefix, got, want)
	}
	if got := aws.ToString(out.Prefix); got != prefix {
		t.Fatalf("ListBuckets: response Prefix got %q, want %q", got, prefix)
	}

	// Pages of 2 with continuation tokens.
	var got []string
	var token *string
	pages := 0
	for {
		out, err := c.ListBuckets(ctxT(t), &s3.ListBucketsInput{Prefix: aws.String(prefix), MaxBuckets: aws.Int32(2), ContinuationToken: token})
		if err != nil {
			t.Fatalf("ListBuckets page %d: %v", pages, err)
		}
		pages++
		if len(out.Buckets) > 2 {
			t.Fatalf("ListBuckets max-buckets=2: page %d has %d buckets", pages, len(out.Buckets))
		}
		got = append(got, bucketNames(out.Buckets)...)
		if out.ContinuationToken == nil || *out.ContinuationToken == "" {
			break
		}
		if pages > 5 {
			t.Fatalf("ListBuckets: more than 5 pages for 5 buckets with max-buckets=2 (got so far %v)", got)
		}
		token = out.ContinuationToken
	}
	if pages != 3 {
		t.Fatalf("ListBuckets max-buckets=2 over 5 buckets: got %d pages, want 3 (buckets %v)", pages, got)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListBuckets paginated: got %v, want %v", got, want)
	}
}

func bucketNames(bs []types.Bucket) []string {
	var out []string
	for _, b := range bs {
		out = append(out, aws.ToString(b.Name))
	}
	sort.Strings(out)
	return out
}

func TestGetBucketLocation_usEast1_empty(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	out, err := c.GetBucketLocation(ctxT(t), &s3.GetBucketLocationInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("GetBucketLocation: %v", err)
	}
	// AWS returns an empty LocationConstraint for us-east-1.
	if got := string(out.LocationConstraint); got != "" {
		t.Fatalf("GetBucketLocation: got %q, want \"\" (us-east-1)", got)
	}
}

func TestPutBucketVersioning_enableSuspend_getBucketVersioning(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	out, err := c.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("GetBucketVersioning: %v", err)
	}
	if out.Status != "" {
		t.Fatalf("new bucket versioning: got %q, want unset", out.Status)
	}
	for _, st := range []types.BucketVersioningStatus{types.BucketVersioningStatusEnabled, types.BucketVersioningStatusSuspended, types.BucketVersioningStatusEnabled} {
		if _, err := c.PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &types.VersioningConfiguration{Status: st}}); err != nil {
			t.Fatalf("PutBucketVersioning %s: %v", st, err)
		}
		out, err := c.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatalf("GetBucketVersioning: %v", err)
		}
		if out.Status != st {
			t.Fatalf("GetBucketVersioning: got %q, want %q", out.Status, st)
		}
	}
}
