package e2e

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Put/Get/DeleteBucketTagging with aws-sdk-go-v2 and its default checksum.
func TestBucketTagging_sdk(t *testing.T) {
	b := newBucket(t)
	c := s3c(t)
	_, err := c.GetBucketTagging(ctxT(t), &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
	wantErr(t, "GetBucketTagging before any", err, "NoSuchTagSet", 404)

	tags := []types.Tag{{Key: aws.String("team"), Value: aws.String("storage")}, {Key: aws.String("cost center"), Value: aws.String("42 / α")}}
	if _, err := c.PutBucketTagging(ctxT(t), &s3.PutBucketTaggingInput{Bucket: aws.String(b),
		Tagging: &types.Tagging{TagSet: tags}}); err != nil {
		t.Fatalf("PutBucketTagging: %v", err)
	}
	out, err := c.GetBucketTagging(ctxT(t), &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("GetBucketTagging: %v", err)
	}
	if len(out.TagSet) != 2 || aws.ToString(out.TagSet[0].Key) != "team" || aws.ToString(out.TagSet[1].Value) != "42 / α" {
		t.Fatalf("TagSet %+v", out.TagSet)
	}

	bad := map[string][]types.Tag{
		"duplicate key": {{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}},
		"aws: prefix":   {{Key: aws.String("aws:createdBy"), Value: aws.String("x")}},
		"long key":      {{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}},
		"long value":    {{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}},
	}
	var many []types.Tag
	for i := 0; i < 51; i++ {
		many = append(many, types.Tag{Key: aws.String("k" + strings.Repeat("x", i)), Value: aws.String("v")})
	}
	bad["51 tags"] = many
	for name, ts := range bad {
		_, err := c.PutBucketTagging(ctxT(t), &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{TagSet: ts}})
		wantErr(t, "PutBucketTagging "+name, err, "InvalidTag", 400)
	}
	if _, err := c.PutBucketTagging(ctxT(t), &s3.PutBucketTaggingInput{Bucket: aws.String(b),
		Tagging: &types.Tagging{TagSet: many[:50]}}); err != nil {
		t.Fatalf("PutBucketTagging with 50 tags: %v", err)
	}
	if _, err := c.DeleteBucketTagging(ctxT(t), &s3.DeleteBucketTaggingInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("DeleteBucketTagging: %v", err)
	}
	_, err = c.GetBucketTagging(ctxT(t), &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
	wantErr(t, "GetBucketTagging after delete", err, "NoSuchTagSet", 404)
}

// logRecordRE parses one server access log record into its 26 fields.
var logRecordRE = regexp.MustCompile(`^(\S+) (\S+) (\[[^\]]+\]) (\S+) (\S+) (\S+) (\S+) (\S+) ("(?:[^"\\]|\\.)*") (\d{3}) (\S+) (\S+) (\S+) (\S+) (\S+) ("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*") (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$`)

// checkLogRecords checks that every request id has a well-formed record
// naming the operation done.
func checkLogRecords(t *testing.T, source string, ids map[string]string, lines []string) {
	t.Helper()
	byID := map[string][]string{}
	for _, l := range lines {
		m := logRecordRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("record does not parse: %q", l)
		}
		if m[2] != source {
			t.Errorf("record for bucket %q: %q", m[2], l)
		}
		byID[m[6]] = m[1:]
	}
	want := map[string]struct{ op, key, status, code string }{
		"put":     {"REST.PUT.OBJECT", "docs/report%20one.txt", "200", "-"},
		"get":     {"REST.GET.OBJECT", "docs/report%20one.txt", "200", "-"},
		"head":    {"REST.HEAD.OBJECT", "docs/report%20one.txt", "200", "-"},
		"list":    {"REST.GET.BUCKET", "-", "200", "-"},
		"missing": {"REST.GET.OBJECT", "nope", "404", "NoSuchKey"},
		"delete":  {"REST.DELETE.OBJECT", "docs/report%20one.txt", "204", "-"},
	}
	for name, w := range want {
		f, ok := byID[ids[name]]
		if !ok {
			t.Errorf("no record for %s (request id %s)", name, ids[name])
			continue
		}
		if f[6] != w.op || f[7] != w.key || f[9] != w.status || f[10] != w.code {
			t.Errorf("%s record: op %s key %s status %s error %s", name, f[6], f[7], f[9], f[10])
		}
		if f[18] == "-" || f[19] != "SigV4" || f[21] != "AuthHeader" || !strings.Contains(f[16], "Boto3") || f[22] == "-" {
			t.Errorf("%s record: host id %s sig %s auth %s agent %s host %s", name, f[18], f[19], f[21], f[16], f[22])
		}
	}
	if g := byID[ids["get"]]; g[11] != "1234" || g[12] != "1234" {
		t.Errorf("GET record: bytes sent %s, object size %s", g[11], g[12])
	}
}

type loggingResult struct {
	IDs     map[string]string `json:"ids"`
	Records []string          `json:"records"`
	Keys    []string          `json:"keys"`
}

// boto3 turns logging on, makes requests, and waits for the delivery (a
// private server delivering every second).
func TestBucketLogging_boto3_delivery(t *testing.T) {
	t.Setenv("COFFER_TEST_LOG_FLUSH_SECONDS", "1")
	srv := startPrivateCoffer(t)
	src, dst := bucketName(t), bucketName(t)+"-logs"
	var res loggingResult
	out := runPython(t, "testdata/boto3_logging.py", srv.Endpoint(), src, dst, "wait")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("script output %q: %v", out, err)
	}
	keyRE := regexp.MustCompile(`^logs/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$`)
	for _, k := range res.Keys {
		if !keyRE.MatchString(k) {
			t.Errorf("log object key %q", k)
		}
	}
	checkLogRecords(t, src, res.IDs, res.Records)
}

// Records still buffered at shutdown are delivered by it.
func TestBucketLogging_flushedOnShutdown(t *testing.T) {
	t.Setenv("COFFER_TEST_LOG_FLUSH_SECONDS", "3600")
	srv := startPrivateCoffer(t)
	src, dst := bucketName(t), bucketName(t)+"-logs"
	var res loggingResult
	if err := json.Unmarshal([]byte(runPython(t, "testdata/boto3_logging.py", srv.Endpoint(), src, dst, "nowait")), &res); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey)
	list := func() []types.Object {
		l, err := c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(dst), Prefix: aws.String("logs/")})
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		return l.Contents
	}
	if n := len(list()); n != 0 {
		t.Fatalf("%d log objects before the interval or shutdown", n)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, o := range list() {
		got, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(dst), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(got.Body)
		got.Body.Close()
		lines = append(lines, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	if len(lines) == 0 {
		t.Fatal("no log records delivered at shutdown")
	}
	// The listing above was on the target, which has no logging: not there.
	checkLogRecords(t, src, res.IDs, lines)
}
