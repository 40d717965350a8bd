package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// x-amz-tagging on a write needs s3:PutObjectTagging besides s3:PutObject,
// as AWS's PutObject reference says; an ACL header needs only s3:PutObject
// (AWS's user guide grants s3:PutObject on the condition that the writer
// sets bucket-owner-full-control). bob holds s3:PutObject and s3:GetObject
// through the bucket policy, then also s3:PutObjectTagging.
func TestHeaderPermissions_taggingNeedsItsPermission_awsSDKGoV2(t *testing.T) {
	t.Parallel()
	e := newACLEnv(t)
	ctx := ctxT(t)
	b := e.bucket(t, types.ObjectOwnershipObjectWriter)
	policy := func(actions ...string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"}` +
			`,"Action":["` + strings.Join(actions, `","`) + `"],"Resource":"arn:aws:s3:::` + b + `/*"}]}`
	}
	setPolicy := func(p string) {
		t.Helper()
		if _, err := e.root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(p)}); err != nil {
			t.Fatalf("PutBucketPolicy: %v", err)
		}
		awaitCoherence()
	}
	put := func(key string, mod func(*s3.PutObjectInput)) error {
		in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")}
		if mod != nil {
			mod(in)
		}
		_, err := e.bob.PutObject(ctx, in)
		return err
	}
	withTags := func(in *s3.PutObjectInput) { in.Tagging = aws.String("team=blue") }

	setPolicy(policy("s3:PutObject", "s3:GetObject"))
	if err := put("plain", nil); err != nil {
		t.Fatalf("bob's plain PutObject with s3:PutObject: %v", err)
	}
	if err := put("acl", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl }); err != nil {
		t.Fatalf("PutObject with bucket-owner-full-control and s3:PutObject only: %v", err)
	}
	wantErr(t, "PutObject with x-amz-tagging and no s3:PutObjectTagging", put("tags", withTags), "AccessDenied", 403)
	_, err := e.bob.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), Tagging: aws.String("team=blue")})
	wantErr(t, "CreateMultipartUpload with x-amz-tagging and no s3:PutObjectTagging", err, "AccessDenied", 403)
	if _, err := e.root.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("tags")}); err == nil {
		t.Fatal("a refused PutObject stored its object")
	}

	setPolicy(policy("s3:PutObject", "s3:GetObject", "s3:PutObjectTagging"))
	if err := put("tags", withTags); err != nil {
		t.Fatalf("PutObject with x-amz-tagging and s3:PutObjectTagging: %v", err)
	}
	tg, err := e.root.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("tags")})
	if err != nil || len(tg.TagSet) != 1 || aws.ToString(tg.TagSet[0].Key) != "team" {
		t.Fatalf("tags of bob's tagged object: %+v %v", tg, err)
	}

	// AWS's user-guide example: s3:PutObject only on the condition that the
	// writer gives the bucket owner full control (s3:x-amz-acl).
	cond := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"}` +
		`,"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + b + `/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`
	setPolicy(cond)
	wantErr(t, "PutObject without the ACL a policy condition requires", put("cond-plain", nil), "AccessDenied", 403)
	if err := put("cond-acl", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl }); err != nil {
		t.Fatalf("PutObject with the ACL the policy condition requires: %v", err)
	}
}
