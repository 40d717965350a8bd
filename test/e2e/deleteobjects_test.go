package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// DeleteObjects commits its keys together (one transaction per request);
// these tests check, with real clients, that each key still gets its own
// answer: deleted, a delete marker, or an error (locked, denied).

// cliDeleteResult is `aws s3api delete-objects`'s JSON output.
type cliDeleteResult struct {
	Deleted []struct {
		Key, VersionId, DeleteMarkerVersionId string
		DeleteMarker                          bool
	}
	Errors []struct{ Key, VersionId, Code, Message string }
}

// A versioned bucket with Object Lock: deletable keys, locked versions
// (Compliance, Governance without bypass, a legal hold), a version by id and
// missing keys, in one request of the aws CLI, then the same in quiet mode.
func TestDeleteObjects_mixedLockedMissing_awsCLI(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	ctx := ctxT(t)
	b := newLockBucket(t, c)
	until := time.Now().Add(5 * time.Minute).UTC().Truncate(time.Second)
	comp := aws.ToString(putLocked(t, c, b, "lock/comp", types.ObjectLockModeCompliance, until).VersionId)
	gov := aws.ToString(putLocked(t, c, b, "lock/gov", types.ObjectLockModeGovernance, until).VersionId)
	held, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("lock/held"),
		Body: strings.NewReader("held"), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	if err != nil {
		t.Fatalf("PutObject with a legal hold: %v", err)
	}
	heldVID := aws.ToString(held.VersionId)
	putObject(t, b, "plain", []byte("plain"))
	old := aws.ToString(putObject(t, b, "byversion", []byte("v1")).VersionId)
	putObject(t, b, "byversion", []byte("v2"))

	objs := []map[string]string{
		{"Key": "plain"},
		{"Key": "lock/comp", "VersionId": comp},
		{"Key": "lock/gov", "VersionId": gov},
		{"Key": "lock/held", "VersionId": heldVID},
		{"Key": "missing/one"},
		{"Key": "byversion", "VersionId": old},
		{"Key": "lock/comp"}, // a delete marker over the locked version
	}
	doc, _ := json.Marshal(map[string]any{"Objects": objs})
	var res cliDeleteResult
	out := awsCLI(t, "s3api", "delete-objects", "--bucket", b, "--delete", string(doc))
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("delete-objects output %q: %v", out, err)
	}
	deleted := map[string]string{}
	for _, d := range res.Deleted {
		what := "version " + d.VersionId
		if d.DeleteMarker {
			what = "marker"
			if d.DeleteMarkerVersionId == "" {
				t.Errorf("delete marker of %s without its version id: %+v", d.Key, d)
			}
		}
		deleted[d.Key] = what
	}
	wantDeleted := map[string]string{"plain": "marker", "missing/one": "marker", "byversion": "version " + old, "lock/comp": "marker"}
	if fmt.Sprint(deleted) != fmt.Sprint(wantDeleted) {
		t.Errorf("Deleted %v, want %v\n%s", deleted, wantDeleted, out)
	}
	var refused []string
	for _, e := range res.Errors {
		refused = append(refused, e.Key+" "+e.VersionId+" "+e.Code)
	}
	sort.Strings(refused)
	wantRefused := []string{"lock/comp " + comp + " AccessDenied", "lock/gov " + gov + " AccessDenied", "lock/held " + heldVID + " AccessDenied"}
	if fmt.Sprint(refused) != fmt.Sprint(wantRefused) {
		t.Errorf("Errors %v, want %v\n%s", refused, wantRefused, out)
	}

	// What the answer said is what happened.
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("plain")}); errStatus(err) != 404 {
		t.Errorf("plain after its delete marker: %v", err)
	}
	for key, vid := range map[string]string{"lock/comp": comp, "lock/gov": gov, "lock/held": heldVID} {
		if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(vid)}); err != nil {
			t.Errorf("locked version %s %s after the delete: %v", key, vid, err)
		}
	}
	if data := getObject(t, b, "byversion"); string(data) != "v2" {
		t.Errorf("byversion after deleting its old version: %q", data)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("byversion"), VersionId: aws.String(old)})
	if errStatus(err) != 404 {
		t.Errorf("the deleted version: %v", err)
	}

	// Quiet: only the refusals are reported.
	doc, _ = json.Marshal(map[string]any{"Quiet": true, "Objects": []map[string]string{
		{"Key": "lock/gov", "VersionId": gov}, {"Key": "plain"}, {"Key": "missing/two"}}})
	out = awsCLI(t, "s3api", "delete-objects", "--bucket", b, "--delete", string(doc))
	res = cliDeleteResult{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("quiet delete-objects output %q: %v", out, err)
	}
	if len(res.Deleted) != 0 || len(res.Errors) != 1 || res.Errors[0].Key != "lock/gov" || res.Errors[0].Code != "AccessDenied" {
		t.Errorf("quiet delete-objects: %s", out)
	}

	// The legal hold lifted, the version goes (with the others a few
	// minutes later, when the retention ends).
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("lock/held"), VersionId: aws.String(heldVID),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatalf("lift the legal hold: %v", err)
	}
	o2, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("lock/held"), VersionId: aws.String(heldVID)}}}})
	if err != nil || len(o2.Errors) != 0 || len(o2.Deleted) != 1 {
		t.Fatalf("DeleteObjects of the released version: %+v %v", o2, err)
	}
}

// 1,000 keys in one request from aws-sdk-go-v2, as a user whose bucket
// policy lets it delete under open/ only: the open keys (present or not) are
// deleted, each closed/ key is its own AccessDenied, and those objects stay.
func TestDeleteObjects_thousandKeysPerKeyPermission(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	bucket := "dm-" + randHex(10)
	ak, sk := c.mkUser(t, svm.UUID, "cleaner")
	c.mkBucket(t, svm.UUID, bucket, map[string]any{"policy": map[string]any{"statements": []any{
		map[string]any{"effect": "allow", "principals": []any{"cleaner"}, "actions": []any{"DeleteObject"},
			"resources": []any{bucket + "/open/*"}},
	}}})
	root := s3As(t, svm.RootAK, svm.RootSK)
	const present = 60 // of each prefix
	var wg sync.WaitGroup
	errc := make(chan error, 2*present)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < present; i += 6 {
				for _, p := range []string{"open", "closed"} {
					if err := put(t, root, bucket, fmt.Sprintf("%s/%04d", p, i), []byte(p)); err != nil {
						errc <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("root PutObject: %v", err)
	}
	var ids []types.ObjectIdentifier
	for i := range 1000 - present {
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("open/%04d", i))}) // the first present exist
	}
	for i := range present {
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("closed/%04d", i))})
	}
	u := s3As(t, ak, sk)
	out, err := u.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids}})
	if err != nil {
		t.Fatalf("DeleteObjects of 1000 keys: %v", err)
	}
	if len(out.Deleted) != 1000-present || len(out.Errors) != present {
		t.Fatalf("DeleteObjects: %d deleted, %d errors; want %d and %d", len(out.Deleted), len(out.Errors), 1000-present, present)
	}
	for _, d := range out.Deleted {
		if !strings.HasPrefix(aws.ToString(d.Key), "open/") || aws.ToBool(d.DeleteMarker) {
			t.Fatalf("deleted %+v", d)
		}
	}
	for _, e := range out.Errors {
		if !strings.HasPrefix(aws.ToString(e.Key), "closed/") || aws.ToString(e.Code) != "AccessDenied" {
			t.Fatalf("error %s %s %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	lo, err := root.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lo.Contents) != present || !strings.HasPrefix(aws.ToString(lo.Contents[0].Key), "closed/") ||
		!strings.HasPrefix(aws.ToString(lo.Contents[present-1].Key), "closed/") {
		t.Fatalf("left after the delete: %d objects, want the %d under closed/", len(lo.Contents), present)
	}
}
