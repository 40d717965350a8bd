package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestPutObject_ifNoneMatch_conflict(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	first := []byte("first writer")
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader(first), IfNoneMatch: aws.String("*")}); err != nil {
		t.Fatalf("PutObject If-None-Match:* on absent key: %v", err)
	}
	_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("second writer"), IfNoneMatch: aws.String("*")})
	wantErr(t, "second PutObject If-None-Match:*", err, "PreconditionFailed", 412)
	mustEqualBytes(t, "object after refused overwrite", getObject(t, b, "k"), first)
}

func TestPutObject_ifMatch_rightAndWrongETag(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	v1 := []byte("version one")
	putObject(t, b, "k", v1)
	_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("lost update"),
		IfMatch: aws.String(`"00000000000000000000000000000000"`)})
	wantErr(t, "PutObject If-Match wrong ETag", err, "PreconditionFailed", 412)
	mustEqualBytes(t, "after failed If-Match", getObject(t, b, "k"), v1)

	v2 := []byte("version two")
	out, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader(v2), IfMatch: aws.String(quotedMD5(v1))})
	if err != nil {
		t.Fatalf("PutObject If-Match right ETag: %v", err)
	}
	if aws.ToString(out.ETag) != quotedMD5(v2) {
		t.Fatalf("ETag: got %s, want %s", aws.ToString(out.ETag), quotedMD5(v2))
	}
	mustEqualBytes(t, "after If-Match overwrite", getObject(t, b, "k"), v2)
	// The old ETag no longer matches.
	_, err = c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"), IfMatch: aws.String(quotedMD5(v1))})
	wantErr(t, "PutObject If-Match stale ETag", err, "PreconditionFailed", 412)
	// If-Match on a key that does not exist: 404 NoSuchKey per the S3 docs.
	_, err = c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("absent"), Body: strings.NewReader("x"), IfMatch: aws.String(quotedMD5(v1))})
	wantErr(t, "PutObject If-Match on absent key", err, "NoSuchKey", 404)
}

func TestPutObject_ifNoneMatch_race16(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	const n = 16
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	bodies := make([][]byte, n)
	for i := 0; i < n; i++ {
		bodies[i] = []byte(fmt.Sprintf("writer %02d %s", i, randHex(32)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("race"), Body: bytes.NewReader(bodies[i]), IfNoneMatch: aws.String("*")})
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("If-None-Match:* race: writers %d and %d both succeeded", winner, i)
			}
			winner = i
			continue
		}
		// 412 PreconditionFailed; AWS may also answer 409 ConditionalRequestConflict.
		if code := errCode(err); code != "PreconditionFailed" && code != "ConditionalRequestConflict" {
			t.Fatalf("If-None-Match:* race loser %d: got %q (HTTP %d), want PreconditionFailed or ConditionalRequestConflict: %v", i, code, errStatus(err), err)
		}
	}
	if winner < 0 {
		t.Fatalf("If-None-Match:* race: no writer succeeded")
	}
	mustEqualBytes(t, "race winner's body", getObject(t, b, "race"), bodies[winner])
}

func TestCompleteMultipartUpload_ifNoneMatch(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	part := []byte("only part")
	complete := func(key string) error {
		id := createUpload(t, c, b, key)
		done := uploadParts(t, c, b, key, id, [][]byte{part}, "", 1)
		_, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id),
			IfNoneMatch: aws.String("*"), MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
		return err
	}
	if err := complete("fresh"); err != nil {
		t.Fatalf("CompleteMultipartUpload If-None-Match:* on absent key: %v", err)
	}
	mustEqualBytes(t, "completed object", getObject(t, b, "fresh"), part)

	existing := []byte("already here")
	putObject(t, b, "taken", existing)
	wantErr(t, "CompleteMultipartUpload If-None-Match:* on existing key", complete("taken"), "PreconditionFailed", 412)
	mustEqualBytes(t, "existing object untouched", getObject(t, b, "taken"), existing)

	// Two uploads racing to the same absent key: exactly one wins.
	ids := [2]string{createUpload(t, c, b, "duel"), createUpload(t, c, b, "duel")}
	var parts [2][]types.CompletedPart
	for i := range ids {
		parts[i] = uploadParts(t, c, b, "duel", ids[i], [][]byte{[]byte(fmt.Sprintf("duel %d", i))}, "", 1)
	}
	var errs [2]error
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("duel"), UploadId: aws.String(ids[i]),
				IfNoneMatch: aws.String("*"), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts[i]}})
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("CompleteMultipartUpload If-None-Match race: want exactly one success, got errs %v / %v", errs[0], errs[1])
	}
	w := 0
	if errs[0] != nil {
		w = 1
	}
	if code := errCode(errs[1-w]); code != "PreconditionFailed" && code != "ConditionalRequestConflict" {
		t.Fatalf("race loser: got %q, want PreconditionFailed/ConditionalRequestConflict", code)
	}
	mustEqualBytes(t, "race winner", getObject(t, b, "duel"), []byte(fmt.Sprintf("duel %d", w)))
}
