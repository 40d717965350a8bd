package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"coffer/internal/errs"
)

const body = "123456789"

var bodyMD5 = func() string { s := md5.Sum([]byte(body)); return base64.StdEncoding.EncodeToString(s[:]) }()

func TestReader(t *testing.T) {
	wrongMD5 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	trailer := func(v string) func() string { return func() string { return v } }
	tests := []struct {
		name      string
		e         Expect
		alg       Algorithm // of Checksum()
		requested bool
		kind      errs.Kind // of the error in place of EOF; Internal = none
		msg       string
	}{
		{name: "default crc64nvme", alg: CRC64NVME},
		{name: "good md5", e: Expect{ContentMD5: bodyMD5}, alg: CRC64NVME},
		{name: "bad md5", e: Expect{ContentMD5: wrongMD5}, alg: CRC64NVME, kind: errs.BadDigest,
			msg: "The Content-MD5 you specified did not match what we received."},
		{name: "good crc32", e: Expect{Algorithm: CRC32, Value: "y/Q5Jg=="}, alg: CRC32, requested: true},
		{name: "good sha256 and md5", e: Expect{ContentMD5: bodyMD5, Algorithm: SHA256, Value: "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="},
			alg: SHA256, requested: true},
		{name: "bad crc32c", e: Expect{Algorithm: CRC32C, Value: "5waSgw=="}, alg: CRC32C, requested: true, kind: errs.BadDigest,
			msg: "The CRC32C you specified did not match the calculated checksum."},
		{name: "bad sha1", e: Expect{Algorithm: SHA1, Value: "+8O8HYCOBHMq32eZZczDTKeuNEE="}, alg: SHA1, requested: true, kind: errs.BadDigest,
			msg: "The SHA1 you specified did not match the calculated checksum."},
		{name: "bad md5 wins", e: Expect{ContentMD5: wrongMD5, Algorithm: CRC32, Value: "AAAAAA=="}, alg: CRC32, requested: true,
			kind: errs.BadDigest, msg: "The Content-MD5 you specified did not match what we received."},
		{name: "requested, not verified", e: Expect{Algorithm: SHA1}, alg: SHA1, requested: true},
		{name: "trailer good", e: Expect{Algorithm: CRC64NVME, Trailer: trailer("rosUhgp5mIg=")}, alg: CRC64NVME, requested: true},
		{name: "trailer bad", e: Expect{Algorithm: CRC64NVME, Trailer: trailer("sosUhgp5mIg=")}, alg: CRC64NVME, requested: true,
			kind: errs.BadDigest, msg: "The CRC64NVME you specified did not match the calculated checksum."},
		{name: "trailer malformed", e: Expect{Algorithm: CRC32, Trailer: trailer("y/Q5Jh==")}, alg: CRC32, requested: true,
			kind: errs.InvalidRequest, msg: "Value for x-amz-checksum-crc32 trailing header is invalid."},
		{name: "trailer missing", e: Expect{Algorithm: CRC32, Trailer: trailer("")}, alg: CRC32, requested: true, kind: errs.InvalidRequest},
		{name: "header beats trailer", e: Expect{Algorithm: CRC32, Value: "y/Q5Jg==", Trailer: trailer("AAAAAA==")}, alg: CRC32, requested: true},
	}
	for _, tc := range tests {
		for _, src := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{
			{"plain", func(r io.Reader) io.Reader { return r }},
			{"bytewise", iotest.OneByteReader},
			{"data+EOF", iotest.DataErrReader},
		} {
			t.Run(tc.name+"/"+src.name, func(t *testing.T) {
				r, err := NewReader(src.wrap(strings.NewReader(body)), tc.e)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				if string(got) != body {
					t.Fatalf("read %q", got)
				}
				if tc.kind == errs.Internal {
					if err != nil {
						t.Fatalf("ReadAll: %v", err)
					}
				} else if !errors.Is(err, tc.kind) || (tc.msg != "" && errs.Message(err) != tc.msg) {
					t.Fatalf("error %v, want %v %q", err, tc.kind, tc.msg)
				}
				// The outcome sticks: every later Read repeats it.
				for range 2 {
					n, again := r.Read(make([]byte, 8))
					if n != 0 || (tc.kind == errs.Internal && again != io.EOF) || (tc.kind != errs.Internal && again != err) {
						t.Fatalf("later Read = %d, %v; want 0, %v", n, again, err)
					}
				}
				if r.Size() != int64(len(body)) {
					t.Errorf("Size = %d", r.Size())
				}
				if want := md5.Sum([]byte(body)); !bytes.Equal(r.MD5(), want[:]) || r.MD5Hex() != hex.EncodeToString(want[:]) {
					t.Errorf("MD5 = %x", r.MD5())
				}
				want := Value{Algorithm: tc.alg, Base64: Sum(tc.alg, []byte(body))}
				if c := r.Checksum(); c != want || r.Algorithm() != tc.alg {
					t.Errorf("Checksum = %+v, want %+v", c, want)
				}
				if r.Requested() != tc.requested {
					t.Errorf("Requested = %v", r.Requested())
				}
			})
		}
	}
}

func TestNewReaderRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Expect
		kind errs.Kind
	}{
		{"malformed md5", Expect{ContentMD5: "nope"}, errs.InvalidDigest},
		{"malformed value", Expect{Algorithm: CRC32, Value: "y/Q5Jh=="}, errs.InvalidRequest},
		{"value of another size", Expect{Algorithm: SHA256, Value: "y/Q5Jg=="}, errs.InvalidRequest},
		{"unknown algorithm", Expect{Algorithm: "MD4", Value: bodyMD5}, errs.InvalidRequest},
		{"value without algorithm", Expect{Value: "y/Q5Jg=="}, errs.InvalidRequest},
	} {
		if r, err := NewReader(strings.NewReader(body), tc.e); !errors.Is(err, tc.kind) {
			t.Errorf("%s: NewReader = %v, %v; want %v", tc.name, r, err, tc.kind)
		}
	}
}

func TestReaderSourceError(t *testing.T) {
	boom := errors.New("boom")
	r, _ := NewReader(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), Expect{Algorithm: CRC32, Value: "AAAAAA=="})
	if _, err := io.ReadAll(r); err != boom {
		t.Fatalf("ReadAll error %v, want the source's", err)
	}
	if r.Size() != 3 {
		t.Fatalf("Size = %d", r.Size())
	}
}

func TestReaderEmptyBody(t *testing.T) {
	r, err := NewReader(strings.NewReader(""), Expect{ContentMD5: "1B2M2Y8AsgTpgAmY7PhCfg==", Algorithm: CRC32, Value: "AAAAAA=="})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("Read = %d, %v", n, err)
	}
	if r.MD5Hex() != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Fatalf("MD5Hex = %s", r.MD5Hex())
	}
}

func TestNewComputer(t *testing.T) {
	for _, tc := range []struct {
		in        Algorithm
		alg       Algorithm
		requested bool
	}{{SHA256, SHA256, true}, {CRC32C, CRC32C, true}, {None, CRC64NVME, false}, {"bogus", CRC64NVME, false}} {
		r := NewComputer(strings.NewReader(body), tc.in)
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Fatal(err)
		}
		want := Value{Algorithm: tc.alg, Base64: Sum(tc.alg, []byte(body))}
		if r.Checksum() != want || r.Requested() != tc.requested || r.MD5Hex() != "25f9e794323b453885f5181f1b624d0b" {
			t.Errorf("NewComputer(%q): %+v requested %v md5 %s", tc.in, r.Checksum(), r.Requested(), r.MD5Hex())
		}
	}
}

// TestReaderMidStream: MD5 and Checksum report the data so far before EOF.
func TestReaderMidStream(t *testing.T) {
	r := NewComputer(strings.NewReader(body), CRC32)
	buf := make([]byte, 4)
	io.ReadFull(r, buf)
	if r.Checksum().Base64 != Sum(CRC32, []byte("1234")) {
		t.Fatalf("mid-stream checksum %+v", r.Checksum())
	}
	if want := md5.Sum([]byte("1234")); !bytes.Equal(r.MD5(), want[:]) {
		t.Fatalf("mid-stream MD5 %x", r.MD5())
	}
}

func TestReaderReadAllocs(t *testing.T) {
	for _, a := range append([]Algorithm{None}, Algorithms...) {
		src := &endless{}
		r, err := NewReader(src, Expect{Algorithm: a})
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 32<<10)
		if n := testing.AllocsPerRun(100, func() { r.Read(buf) }); n != 0 {
			t.Errorf("%q: %v allocations per Read", a, n)
		}
	}
}

// endless is a source that never ends.
type endless struct{}

func (*endless) Read(p []byte) (int, error) { return len(p), nil }
