package s3api

import (
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

var (
	testCKey    = strings.Repeat("k", 32)
	testCKeyB64 = base64.StdEncoding.EncodeToString([]byte(testCKey))
	testCKeyMD5 = func() string { s := md5.Sum([]byte(testCKey)); return base64.StdEncoding.EncodeToString(s[:]) }()
)

func sseReq(tlsOn bool, h map[string]string) *http.Request {
	r := httptest.NewRequest("PUT", "/b/k", nil)
	for k, v := range h {
		r.Header.Set(k, v)
	}
	if tlsOn {
		r.TLS = &tls.ConnectionState{}
	}
	return r
}

func ssecHeaders(prefix string) map[string]string {
	return map[string]string{prefix + "Algorithm": "AES256", prefix + "Key": testCKeyB64, prefix + "Key-MD5": testCKeyMD5}
}

func TestSSEWriteHeaders(t *testing.T) {
	s := &server{}
	ctxB64 := base64.StdEncoding.EncodeToString([]byte(`{"dept":"x"}`))
	cases := []struct {
		name string
		h    map[string]string
		tls  bool
		want objects.Encryption
		kind errs.Kind // 0: success
	}{
		{"none", nil, false, objects.Encryption{}, 0},
		{"s3", map[string]string{hSSE: "AES256"}, false, objects.Encryption{Mode: objects.SSES3}, 0},
		{"kms bare id", map[string]string{hSSE: "aws:kms", hSSEKMSKeyID: "k1", hSSEBucketKey: "true", hSSEContext: ctxB64}, false,
			objects.Encryption{Mode: objects.SSEKMS, KMSKeyID: "k1", BucketKey: true, KMSContext: ctxB64}, 0},
		{"kms arn", map[string]string{hSSE: "aws:kms", hSSEKMSKeyID: "arn:aws:kms:us-east-1:123456789012:key/abc-123"}, false,
			objects.Encryption{Mode: objects.SSEKMS, KMSKeyID: "abc-123"}, 0},
		{"kms alias arn", map[string]string{hSSE: "aws:kms", hSSEKMSKeyID: "arn:aws:kms:us-east-1:123456789012:alias/backups"}, false,
			objects.Encryption{Mode: objects.SSEKMS, KMSKeyID: "alias/backups"}, 0},
		{"dsse", map[string]string{hSSE: "aws:kms:dsse"}, false, objects.Encryption{Mode: objects.SSEKMSDSSE}, 0},
		{"bad mode", map[string]string{hSSE: "AES128"}, false, objects.Encryption{}, errs.InvalidArgument},
		{"key id without kms", map[string]string{hSSE: "AES256", hSSEKMSKeyID: "k1"}, false, objects.Encryption{}, errs.InvalidArgument},
		{"context not base64 JSON", map[string]string{hSSE: "aws:kms", hSSEContext: "nope"}, false, objects.Encryption{}, errs.InvalidArgument},
		{"bad bucket key flag", map[string]string{hSSE: "aws:kms", hSSEBucketKey: "yes"}, false, objects.Encryption{}, errs.InvalidArgument},
		{"sse-c over http", ssecHeaders(hSSECPrefix), false, objects.Encryption{}, errs.InvalidSecurity},
		{"sse-c over tls", ssecHeaders(hSSECPrefix), true, objects.Encryption{Mode: objects.SSEC, CustomerKey: []byte(testCKey), CustomerKeyMD5: testCKeyMD5}, 0},
		{"sse-c with sse-s3", merge(ssecHeaders(hSSECPrefix), map[string]string{hSSE: "AES256"}), true, objects.Encryption{}, errs.InvalidArgument},
		{"sse-c bad md5", merge(ssecHeaders(hSSECPrefix), map[string]string{hSSECPrefix + "Key-MD5": base64.StdEncoding.EncodeToString(make([]byte, 16))}), true, objects.Encryption{}, errs.InvalidArgument},
		{"sse-c no md5", merge(ssecHeaders(hSSECPrefix), map[string]string{hSSECPrefix + "Key-MD5": ""}), true, objects.Encryption{}, errs.InvalidArgument},
		{"sse-c short key", merge(ssecHeaders(hSSECPrefix), map[string]string{hSSECPrefix + "Key": base64.StdEncoding.EncodeToString([]byte("short"))}), true, objects.Encryption{}, errs.InvalidArgument},
		{"sse-c bad algorithm", merge(ssecHeaders(hSSECPrefix), map[string]string{hSSECPrefix + "Algorithm": "AES128"}), true, objects.Encryption{}, errs.InvalidEncryptionAlgorithm},
		{"sse-c key without algorithm", merge(ssecHeaders(hSSECPrefix), map[string]string{hSSECPrefix + "Algorithm": ""}), true, objects.Encryption{}, errs.InvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := sseReq(c.tls, c.h)
			// Empty values are deleted so "no header" cases are real.
			for k, v := range c.h {
				if v == "" {
					r.Header.Del(k)
				}
			}
			got, err := s.sseWrite(r)
			if c.kind != 0 {
				if errs.KindOf(err) != c.kind {
					t.Fatalf("got %v (%v), want kind %v", got, err, c.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Mode != c.want.Mode || got.KMSKeyID != c.want.KMSKeyID || got.KMSContext != c.want.KMSContext ||
				got.BucketKey != c.want.BucketKey || string(got.CustomerKey) != string(c.want.CustomerKey) || got.CustomerKeyMD5 != c.want.CustomerKeyMD5 {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
	// The operator flag accepts SSE-C over HTTP.
	s.opts.AllowSSECOverHTTP = true
	if got, err := s.sseWrite(sseReq(false, ssecHeaders(hSSECPrefix))); err != nil || got.Mode != objects.SSEC {
		t.Fatalf("AllowSSECOverHTTP: %+v %v", got, err)
	}
	// Copy-source headers are read with their own prefix.
	if got, err := s.sseCustomer(sseReq(false, ssecHeaders(hSSECSrcPrefix)), hSSECSrcPrefix); err != nil || got.Mode != objects.SSEC {
		t.Fatalf("copy source: %+v %v", got, err)
	}
	if got, err := s.sseCustomer(sseReq(false, ssecHeaders(hSSECSrcPrefix)), hSSECPrefix); err != nil || got.Mode != objects.SSENone {
		t.Fatalf("copy-source headers read as the destination's: %+v %v", got, err)
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestSSEResponseHeaders(t *testing.T) {
	resp := &response{}
	setSSEHeaders(resp, objects.EncryptionInfo{Mode: objects.SSEKMS, KMSKeyID: "k1", KMSContext: "e30=", BucketKey: true}, objects.Encryption{})
	h := resp.header()
	if h.Get(hSSE) != "aws:kms" || h.Get(hSSEKMSKeyID) != "k1" || h.Get(hSSEContext) != "e30=" || h.Get(hSSEBucketKey) != "true" {
		t.Fatalf("kms headers %v", h)
	}
	resp = &response{}
	setSSEHeaders(resp, objects.EncryptionInfo{Mode: objects.SSEC}, objects.Encryption{Mode: objects.SSEC, CustomerKeyMD5: "md5"})
	if h := resp.header(); h.Get(hSSECPrefix+"Algorithm") != "AES256" || h.Get(hSSECPrefix+"Key-MD5") != "md5" || h.Get(hSSE) != "" {
		t.Fatalf("sse-c headers %v", h)
	}
	resp = &response{}
	setSSEHeaders(resp, objects.EncryptionInfo{}, objects.Encryption{})
	if len(resp.Header) != 0 {
		t.Fatalf("unencrypted object got headers %v", resp.Header)
	}
}

func TestBucketEncryptionXML(t *testing.T) {
	good := `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:us-east-1:1:key/k9</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`
	c, err := parseBucketEncryptionXML([]byte(good))
	if err != nil || c.Algorithm != objects.SSEKMS || c.KMSKeyID != "k9" || !c.BucketKey {
		t.Fatalf("%+v %v", c, err)
	}
	out, err := encodeXML(bucketEncryptionXML(c))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">", "<SSEAlgorithm>aws:kms</SSEAlgorithm>", "<KMSMasterKeyID>k9</KMSMasterKeyID>", "<BucketKeyEnabled>true</BucketKeyEnabled>"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("rendered XML lacks %s:\n%s", want, out)
		}
	}
	back, err := parseBucketEncryptionXML(out)
	if err != nil || back != c {
		t.Fatalf("round trip %+v %v", back, err)
	}
	bad := map[string]errs.Kind{
		`<ServerSideEncryptionConfiguration/>`: errs.MalformedXML,
		`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`:                                      errs.MalformedXML,
		`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`: errs.InvalidArgument,
		`not xml`: errs.MalformedXML,
	}
	for body, kind := range bad {
		if _, err := parseBucketEncryptionXML([]byte(body)); errs.KindOf(err) != kind {
			t.Errorf("%s: got %v, want %v", body, err, kind)
		}
	}
}

func FuzzBucketEncryptionXML(f *testing.F) {
	f.Add([]byte(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseBucketEncryptionXML(data)
		if err != nil {
			return
		}
		out, err := encodeXML(bucketEncryptionXML(c))
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseBucketEncryptionXML(out)
		if err != nil || back != c {
			t.Fatalf("accepted config does not round trip: %+v -> %+v (%v)", c, back, err)
		}
	})
}

func FuzzSSEHeaders(f *testing.F) {
	f.Add("AES256", "", "", "", "", "")
	f.Add("aws:kms", "arn:aws:kms:r:a:key/x", "e30=", "AES256", testCKeyB64, testCKeyMD5)
	s := &server{opts: Options{AllowSSECOverHTTP: true}}
	f.Fuzz(func(t *testing.T, mode, keyID, kctx, alg, key, sum string) {
		r := httptest.NewRequest("PUT", "/b/k", nil)
		set := func(n, v string) {
			if v != "" {
				r.Header[n] = []string{v}
			}
		}
		set(hSSE, mode)
		set(hSSEKMSKeyID, keyID)
		set(hSSEContext, kctx)
		set(hSSECPrefix+"Algorithm", alg)
		set(hSSECPrefix+"Key", key)
		set(hSSECPrefix+"Key-Md5", sum)
		e, err := s.sseWrite(r)
		if err != nil {
			return
		}
		if e.Mode == objects.SSEC && len(e.CustomerKey) != 32 {
			t.Fatalf("accepted a %d-byte customer key", len(e.CustomerKey))
		}
		if e.Mode != objects.SSEC && e.CustomerKey != nil {
			t.Fatal("customer key outside SSE-C")
		}
	})
}

func TestSSEConditionKeys(t *testing.T) {
	r := sseReq(false, map[string]string{hSSE: "aws:kms", hSSEKMSKeyID: "k1"})
	c := conditionContext(&requestInfo{Op: Op{Kind: OpPutObject}}, r)
	if c["s3:x-amz-server-side-encryption"] != "aws:kms" || c["s3:x-amz-server-side-encryption-aws-kms-key-id"] != "k1" {
		t.Fatalf("condition keys %v", c)
	}
	if _, ok := conditionContext(&requestInfo{Op: Op{Kind: OpPutObject}}, sseReq(false, nil))["s3:x-amz-server-side-encryption"]; ok {
		t.Fatal("condition key set without the header")
	}
}
