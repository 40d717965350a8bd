package e2e

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestBoto3_putGetListMultipart(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	out := runPython(t, "testdata/boto3_flow.py", b, t.TempDir())
	var res struct {
		SmallOK       bool     `json:"small_ok"`
		ListKeys      []string `json:"list_keys"`
		ListPrefixes  []string `json:"list_prefixes"`
		PaginatedKeys []string `json:"paginated_keys"`
		BigETag       string   `json:"big_etag"`
		BigWantETag   string   `json:"big_want_etag"`
		BigLength     int64    `json:"big_length"`
		BigSHA256     string   `json:"big_sha256"`
		NoSuchKey     bool     `json:"nosuchkey"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("boto3 script output %q: %v", out, err)
	}
	if !res.SmallOK || !res.NoSuchKey {
		t.Fatalf("boto3: small_ok=%v nosuchkey=%v", res.SmallOK, res.NoSuchKey)
	}
	if !slices.Equal(res.ListKeys, []string{"py/small.bin"}) || !slices.Equal(res.ListPrefixes, []string{"py/list/"}) {
		t.Fatalf("boto3 list: keys %v prefixes %v, want [py/small.bin] [py/list/]", res.ListKeys, res.ListPrefixes)
	}
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, fmt.Sprintf("py/list/k%d", i))
	}
	if !slices.Equal(res.PaginatedKeys, want) {
		t.Fatalf("boto3 paginator (page size 2): got %v, want %v", res.PaginatedKeys, want)
	}
	if res.BigLength != 20<<20 || res.BigETag != res.BigWantETag {
		t.Fatalf("boto3 upload_file 20 MiB: length %d ETag %s, want %d %s", res.BigLength, res.BigETag, 20<<20, res.BigWantETag)
	}
	// Cross-check from Go: the object boto3 uploaded reads back with the same hash.
	data := getObject(t, b, "py/big.bin")
	sum := sha256sum(data)
	if hex.EncodeToString(sum[:]) != res.BigSHA256 {
		t.Fatalf("Go GetObject of boto3's multipart object: sha256 %x, want %s", sum, res.BigSHA256)
	}
	if _, err := s3c(t).HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("py/small.bin")}); err != nil {
		t.Fatalf("HeadObject of boto3's object: %v", err)
	}
}
