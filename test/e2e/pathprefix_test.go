package e2e

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Coffer serves the S3 API under the /S3 path prefix as well as at the root.
func TestPathPrefix_S3_putGetList(t *testing.T) {
	t.Parallel()
	requireTarget(t)
	if suite.peer {
		t.Skip("the /S3 path prefix is Coffer-specific (peer mode)")
	}
	pc := newClient(t, suite.endpoint+"/S3", suite.accessKey, suite.secretKey)
	b := bucketName(t)
	if _, err := pc.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket via /S3: %v", err)
	}
	t.Cleanup(func() { destroyBucket(t.Logf, s3c(t), b) })
	body := randBytes(10_000)
	if _, err := pc.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("dir/k"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject via /S3: %v", err)
	}
	data, _ := getBytes(t, pc, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dir/k")})
	mustEqualBytes(t, "GetObject via /S3", data, body)
	out, err := pc.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("ListObjectsV2 via /S3: %v", err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "dir/k" {
		t.Fatalf("ListObjectsV2 via /S3: got %d keys, want [dir/k]", len(out.Contents))
	}
	// The same object is visible through the root endpoint.
	mustEqualBytes(t, "GetObject via root", getObject(t, b, "dir/k"), body)
	lb, err := pc.ListBuckets(ctxT(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets via /S3: %v", err)
	}
	found := false
	for _, bk := range lb.Buckets {
		found = found || aws.ToString(bk.Name) == b
	}
	if !found {
		t.Fatalf("ListBuckets via /S3: %s missing", b)
	}
}
