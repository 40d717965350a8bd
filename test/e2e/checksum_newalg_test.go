package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"
)

// The checksums S3 added in 2026 (MD5, SHA512, XXHASH64, XXHASH3,
// XXHASH128), through aws-sdk-go-v2 and boto3, which both know them.

type newAlg struct {
	algo  types.ChecksumAlgorithm
	field string // the SDK's field suffix: ChecksumXXHASH3, …
	hello string // the value for "Hello world", hex, from aws-checksums' tests / RFC 1321
	h     func() hash.Hash
}

var newAlgs = []newAlg{
	{types.ChecksumAlgorithmMd5, "MD5", "3e25960a79dbc69b674cd4ec67a72c62", md5.New},
	{types.ChecksumAlgorithmSha512, "SHA512", "b7f783baed8297f0db917462184ff4f08e69c2d5e5f79a942600f9725f58ce1f" +
		"29c18139bf80b06c0fff2bdd34738452ecf40c488c22a7e3d80cdf6f9c1c0d47", sha512.New},
	{types.ChecksumAlgorithmXxhash64, "XXHASH64", "c500b0c912b376d8", func() hash.Hash { return xxhash.New() }},
	{types.ChecksumAlgorithmXxhash3, "XXHASH3", "b6acb9d84a38ff74", func() hash.Hash { return xxh3.New() }},
	{types.ChecksumAlgorithmXxhash128, "XXHASH128", "7351f89812f97382b91d05b31e04dd7f", func() hash.Hash { return xxh3.New128() }},
}

func (a newAlg) sum(b []byte) string { h := a.h(); h.Write(b); return b64(h.Sum(nil)) }

func (a newAlg) header() string { return "x-amz-checksum-" + strings.ToLower(a.field) }

// sdkField reads (or, with val, sets) the Checksum<ALG> field of an SDK
// input or output struct.
func sdkField(v any, alg string, val ...string) string {
	f := reflect.ValueOf(v).Elem().FieldByName("Checksum" + alg)
	if !f.IsValid() {
		panic(fmt.Sprintf("%T has no Checksum%s", v, alg))
	}
	if len(val) > 0 {
		f.Set(reflect.ValueOf(aws.String(val[0])))
	}
	return aws.ToString(f.Interface().(*string))
}

// TestNewChecksums_helloVectors: the published "Hello world" values are what
// Coffer computes (a PUT carrying them is accepted and echoed), and the local
// hashes the other tests use agree with them.
func TestNewChecksums_helloVectors(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	hw := []byte("Hello world")
	for _, a := range newAlgs {
		raw, _ := hex.DecodeString(a.hello)
		want := b64(raw)
		if got := a.sum(hw); got != want {
			t.Fatalf("local %s(Hello world) = %s, want %s", a.field, got, want)
		}
		in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("hw-" + a.field), Body: bytes.NewReader(hw)}
		sdkField(in, a.field, want)
		put, err := c.PutObject(ctxT(t), in)
		if err != nil {
			t.Fatalf("PutObject with %s: %v", a.header(), err)
		}
		if got := sdkField(put, a.field); got != want {
			t.Fatalf("PutObject echoes %s %q, want %q", a.header(), got, want)
		}
	}
}

// PUT, HEAD, GET, GetObjectAttributes and CopyObject with each algorithm; a
// wrong value is BadDigest and stores nothing; SHA512 the SDK computes
// itself (ChecksumAlgorithm), the others are given as values.
func TestNewChecksums_sdkPutHeadGetCopy(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := randBytes(123_457)
	for _, a := range newAlgs {
		t.Run(a.field, func(t *testing.T) {
			key, want := "o-"+a.field, a.sum(body)
			in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body)}
			if a.algo == types.ChecksumAlgorithmSha512 {
				in.ChecksumAlgorithm = a.algo
			} else {
				sdkField(in, a.field, want)
			}
			put, err := c.PutObject(ctxT(t), in)
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if got := sdkField(put, a.field); got != want {
				t.Fatalf("PutObject %s: got %q, want %q", a.header(), got, want)
			}
			head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil || sdkField(head, a.field) != want || head.ChecksumType != types.ChecksumTypeFullObject {
				t.Fatalf("HeadObject checksum mode: %v %q %q", err, sdkField(head, a.field), head.ChecksumType)
			}
			data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			mustEqualBytes(t, "GetObject", data, body)
			if got := sdkField(get, a.field); got != want {
				t.Fatalf("GetObject %s: got %q, want %q", a.header(), got, want)
			}
			attrs, err := c.GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String(key),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum}})
			if err != nil || attrs.Checksum == nil || sdkField(attrs.Checksum, a.field) != want {
				t.Fatalf("GetObjectAttributes: %v %+v", err, attrs)
			}

			bad := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key + "-bad"), Body: bytes.NewReader(body)}
			sdkField(bad, a.field, a.sum([]byte("other")))
			_, err = c.PutObject(ctxT(t), bad)
			wantErr(t, "PutObject with a wrong "+a.header(), err, "BadDigest", 400)
			_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key + "-bad")})
			wantErr(t, "HeadObject after the refused PUT", err, "", 404)
			bad = &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key + "-bad"), Body: bytes.NewReader(body)}
			sdkField(bad, a.field, b64crc32(body)) // a CRC32-sized value: malformed
			_, err = c.PutObject(ctxT(t), bad)
			wantErr(t, "PutObject with a malformed "+a.header(), err, "InvalidRequest", 400)

			// CopyObject of a plain object, asking for the algorithm.
			putObject(t, b, key+"-src", body)
			cp, err := c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String(key + "-copy"),
				CopySource: aws.String(b + "/" + key + "-src"), ChecksumAlgorithm: a.algo})
			if err != nil || cp.CopyObjectResult == nil || sdkField(cp.CopyObjectResult, a.field) != want {
				t.Fatalf("CopyObject with ChecksumAlgorithm %s: %v %+v", a.algo, err, cp)
			}
		})
	}
}

// Multipart uploads with each algorithm are COMPOSITE (by default and when
// asked); FULL_OBJECT is refused; UploadPart and UploadPartCopy report the
// part checksums, ListParts lists them, CompleteMultipartUpload takes them
// and answers the checksum of the raw part checksums, "-N".
func TestNewChecksums_sdkMultipartComposite(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	p1, p2 := randBytes(5<<20), randBytes(777_777)
	putObject(t, b, "copy-src", p2)
	for _, a := range newAlgs {
		t.Run(a.field, func(t *testing.T) {
			key := "mpu-" + a.field
			_, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
				ChecksumAlgorithm: a.algo, ChecksumType: types.ChecksumTypeFullObject})
			wantErr(t, "CreateMultipartUpload "+string(a.algo)+" FULL_OBJECT", err, "InvalidRequest", 400)

			up, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
				ChecksumAlgorithm: a.algo})
			if err != nil || up.ChecksumAlgorithm != a.algo || up.ChecksumType != types.ChecksumTypeComposite {
				t.Fatalf("CreateMultipartUpload: %v %q %q", err, up.ChecksumAlgorithm, up.ChecksumType)
			}
			upIn := &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(1),
				Body: bytes.NewReader(p1)}
			sdkField(upIn, a.field, a.sum(p1))
			part1, err := c.UploadPart(ctxT(t), upIn)
			if err != nil || sdkField(part1, a.field) != a.sum(p1) {
				t.Fatalf("UploadPart: %v %q", err, sdkField(part1, a.field))
			}
			wrong := &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(3),
				Body: bytes.NewReader(p2)}
			sdkField(wrong, a.field, a.sum(p1))
			_, err = c.UploadPart(ctxT(t), wrong)
			wantErr(t, "UploadPart with a wrong "+a.header(), err, "BadDigest", 400)

			part2, err := c.UploadPartCopy(ctxT(t), &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId,
				PartNumber: aws.Int32(2), CopySource: aws.String(b + "/copy-src")})
			if err != nil || part2.CopyPartResult == nil || sdkField(part2.CopyPartResult, a.field) != a.sum(p2) {
				t.Fatalf("UploadPartCopy: %v %+v", err, part2)
			}
			lp, err := c.ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: up.UploadId})
			if err != nil || len(lp.Parts) != 2 || sdkField(&lp.Parts[0], a.field) != a.sum(p1) || sdkField(&lp.Parts[1], a.field) != a.sum(p2) ||
				lp.ChecksumAlgorithm != a.algo {
				t.Fatalf("ListParts: %v %+v", err, lp)
			}
			cp1 := types.CompletedPart{PartNumber: aws.Int32(1), ETag: part1.ETag}
			cp2 := types.CompletedPart{PartNumber: aws.Int32(2), ETag: part2.CopyPartResult.ETag}
			sdkField(&cp1, a.field, a.sum(p1))
			sdkField(&cp2, a.field, a.sum(p2))
			done, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
				UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{cp1, cp2}}})
			want := compositeChecksum(a.h, [][]byte{p1, p2})
			if err != nil || sdkField(done, a.field) != want || done.ChecksumType != types.ChecksumTypeComposite {
				t.Fatalf("CompleteMultipartUpload: %v %q %q, want %s COMPOSITE", err, sdkField(done, a.field), done.ChecksumType, want)
			}
			head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil || sdkField(head, a.field) != want || head.ChecksumType != types.ChecksumTypeComposite {
				t.Fatalf("HeadObject: %v %q %q", err, sdkField(head, a.field), head.ChecksumType)
			}
			attrs, err := c.GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String(key),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts}})
			// GetObjectAttributes leaves the "-N" off a COMPOSITE checksum, as S3 does.
			if err != nil || attrs.Checksum == nil || sdkField(attrs.Checksum, a.field) != strings.TrimSuffix(want, "-2") ||
				attrs.Checksum.ChecksumType != types.ChecksumTypeComposite || attrs.ObjectParts == nil ||
				len(attrs.ObjectParts.Parts) != 2 || sdkField(&attrs.ObjectParts.Parts[1], a.field) != a.sum(p2) {
				t.Fatalf("GetObjectAttributes: %v %+v", err, attrs)
			}
			data, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
			mustEqualBytes(t, "GetObject", data, append(append([]byte(nil), p1...), p2...))
		})
	}
}

// The new checksums as aws-chunked trailers (what an SDK sends over HTTPS).
func TestNewChecksums_awsChunkedTrailer(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	data := randBytes(150_000)
	for _, a := range newAlgs {
		res := awsChunkedPut(t, b, "t-"+a.field, data, "unsigned-trailer", a.header(), a.sum(data), false)
		if res.status != 200 {
			t.Fatalf("%s trailer: HTTP %d %s", a.field, res.status, res.body)
		}
		head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("t-" + a.field), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil || sdkField(head, a.field) != a.sum(data) {
			t.Fatalf("%s HeadObject after trailer PUT: %v %q", a.field, err, sdkField(head, a.field))
		}
		res = awsChunkedPut(t, b, "t-bad-"+a.field, data, "signed-trailer", a.header(), a.sum([]byte("x")), false)
		if res.status != 400 || res.code() != "BadDigest" {
			t.Fatalf("%s wrong trailer: HTTP %d %q %s", a.field, res.status, res.code(), res.body)
		}
	}
}

// boto3 (1.43) with the new algorithms: SHA512 computed by botocore, the
// xxHash and MD5 values passed as parameters; a multipart upload with
// XXHASH128; the checksums read back with ChecksumMode=ENABLED.
func TestNewChecksums_boto3(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	dir := t.TempDir()
	body := randBytes(40_000)
	p1, p2 := randBytes(5<<20), randBytes(1000)
	for name, data := range map[string][]byte{"body": body, "p1": p1, "p2": p2} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "newalg.py")
	if err := os.WriteFile(script, []byte(boto3NewAlgScript), 0o644); err != nil {
		t.Fatal(err)
	}
	vals := map[string]string{}
	for _, a := range newAlgs {
		vals[a.field] = a.sum(body)
	}
	in, _ := json.Marshal(map[string]any{"bucket": b, "dir": dir, "values": vals,
		"p1": newAlgs[4].sum(p1), "p2": newAlgs[4].sum(p2)})
	out := runPython(t, script, string(in))
	var got struct {
		Put, Head map[string]string
		BadCode   string
		MPU       string
		MPUType   string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	for _, a := range newAlgs {
		if got.Put[a.field] != vals[a.field] || got.Head[a.field] != vals[a.field] {
			t.Errorf("boto3 %s: put %q head %q, want %q", a.field, got.Put[a.field], got.Head[a.field], vals[a.field])
		}
	}
	if got.BadCode != "BadDigest" {
		t.Errorf("boto3 wrong ChecksumXXHASH3: %q, want BadDigest", got.BadCode)
	}
	if want := compositeChecksum(newAlgs[4].h, [][]byte{p1, p2}); got.MPU != want || got.MPUType != "COMPOSITE" {
		t.Errorf("boto3 XXHASH128 multipart: %q %q, want %q COMPOSITE", got.MPU, got.MPUType, want)
	}
}

const boto3NewAlgScript = `
import json, os, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

args = json.loads(sys.argv[1])
b, d, vals = args["bucket"], args["dir"], args["values"]
s3 = boto3.client("s3", endpoint_url=os.environ["COFFER_E2E_ENDPOINT_URL"],
                  config=Config(s3={"addressing_style": "path"}))
body = open(os.path.join(d, "body"), "rb").read()
put, head = {}, {}
for alg in ["MD5", "SHA512", "XXHASH64", "XXHASH3", "XXHASH128"]:
    key = "boto-" + alg
    kw = {"ChecksumAlgorithm": "SHA512"} if alg == "SHA512" else {"Checksum" + alg: vals[alg]}
    r = s3.put_object(Bucket=b, Key=key, Body=body, **kw)
    put[alg] = r.get("Checksum" + alg, "")
    h = s3.head_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
    head[alg] = h.get("Checksum" + alg, "")
bad = ""
try:
    s3.put_object(Bucket=b, Key="boto-bad", Body=body, ChecksumXXHASH3=vals["XXHASH64"])
except ClientError as e:
    bad = e.response["Error"]["Code"]
up = s3.create_multipart_upload(Bucket=b, Key="boto-mpu", ChecksumAlgorithm="XXHASH128")
parts = []
for n, name in [(1, "p1"), (2, "p2")]:
    r = s3.upload_part(Bucket=b, Key="boto-mpu", UploadId=up["UploadId"], PartNumber=n,
                       Body=open(os.path.join(d, name), "rb").read(), ChecksumXXHASH128=args[name])
    parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumXXHASH128": r["ChecksumXXHASH128"]})
r = s3.complete_multipart_upload(Bucket=b, Key="boto-mpu", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
print(json.dumps({"Put": put, "Head": head, "BadCode": bad, "MPU": r.get("ChecksumXXHASH128", ""), "MPUType": r.get("ChecksumType", "")}))
`

// The aws CLI (v1, botocore 1.43): put-object with --checksum-algorithm
// SHA512 (botocore computes it) and with --checksum-xxhash3, head-object
// --checksum-mode ENABLED, and create-multipart-upload refusing FULL_OBJECT
// for XXHASH64.
func TestNewChecksums_awsCLI(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	body := randBytes(20_000)
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	sha, xx3 := newAlgs[1], newAlgs[3]
	for _, args := range [][]string{
		{"--key", "cli-sha512", "--checksum-algorithm", "SHA512"},
		{"--key", "cli-xxhash3", "--checksum-xxhash3", xx3.sum(body)},
	} {
		out := awsCLI(t, append([]string{"s3api", "put-object", "--bucket", b, "--body", file}, args...)...)
		var put map[string]any
		if err := json.Unmarshal([]byte(out), &put); err != nil {
			t.Fatalf("put-object %v: %q: %v", args, out, err)
		}
		a := sha
		if args[1] == "cli-xxhash3" {
			a = xx3
		}
		if put["Checksum"+a.field] != a.sum(body) {
			t.Fatalf("put-object %v: %s, want Checksum%s %s", args, out, a.field, a.sum(body))
		}
		out = awsCLI(t, "s3api", "head-object", "--bucket", b, "--key", args[1], "--checksum-mode", "ENABLED")
		if !strings.Contains(out, `"Checksum`+a.field+`": "`+a.sum(body)+`"`) {
			t.Fatalf("head-object %s: %s, want Checksum%s %s", args[1], out, a.field, a.sum(body))
		}
	}
	_, errOut, err := awsCLIResult(t, "s3api", "create-multipart-upload", "--bucket", b, "--key", "cli-mpu",
		"--checksum-algorithm", "XXHASH64", "--checksum-type", "FULL_OBJECT")
	if err == nil || !strings.Contains(errOut, "InvalidRequest") || !strings.Contains(errOut, "cannot be used with the xxhash64 checksum algorithm") {
		t.Fatalf("create-multipart-upload XXHASH64 FULL_OBJECT: err %v, stderr %s", err, errOut)
	}
}
