package objects

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/errs"
)

// cancelAtEOF cancels a context when its reader reaches EOF: a client that
// goes away right after sending its body, before the metadata commit.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

func countBlobs(t *testing.T, s *Service) int {
	t.Helper()
	n := 0
	if err := s.blobs.Walk(func(blob.BlobInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// A write whose context ends after its body was stored but before its
// metadata commit stored nothing: its blob must not be left behind.
func TestReviewCancelledWriteLeaksNoBlob(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = 10 })
	e.bucket("bkt")
	data := bytes.Repeat([]byte("x"), 1000)

	cctx, cancel := context.WithCancel(ctx)
	r, err := checksum.NewReader(&cancelAtEOF{r: bytes.NewReader(data), cancel: cancel}, checksum.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.PutObject(cctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: "k", Body: r, Size: int64(len(data))})
	if err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
	if _, _, err := e.get("bkt", "k", ""); !errors.Is(err, errs.NoSuchKey) {
		t.Fatalf("object visible after a failed put: %v", err)
	}
	if n := countBlobs(t, e.s); n != 0 {
		t.Fatalf("put: %d blob(s) leaked by a write that stored nothing", n)
	}

	up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "bkt", Key: "m"})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel = context.WithCancel(ctx)
	r, err = checksum.NewReader(&cancelAtEOF{r: bytes.NewReader(data), cancel: cancel}, checksum.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.UploadPart(cctx, UploadPartInput{Tenant: tenant, Bucket: "bkt", Key: "m", UploadID: up.UploadID,
		PartNumber: 1, Body: r, Size: int64(len(data))})
	if err == nil {
		t.Fatal("part upload with a cancelled context succeeded")
	}
	if n := countBlobs(t, e.s); n != 0 {
		t.Fatalf("upload part: %d blob(s) leaked by a write that stored nothing", n)
	}
}

// A GET racing an overwrite must serve one of the versions, never 404: the
// overwritten version's blob may be collected between the metadata lookup
// and the open of its file.
func TestReviewGetDuringOverwriteAndGC(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = 10 })
	e.bucket("bkt")
	old := bytes.Repeat([]byte("o"), 100)
	cur := bytes.Repeat([]byte("n"), 100)
	e.put("bkt", "k", old)

	fired := false
	e.s.testHookBeforeOpen = func() {
		if fired {
			return
		}
		fired = true
		e.put("bkt", "k", cur)
		if _, err := e.s.CollectGarbage(ctx); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { e.s.testHookBeforeOpen = nil })

	got, _, err := e.get("bkt", "k", "")
	if err != nil {
		t.Fatalf("GET during an overwrite: %v", err)
	}
	if !bytes.Equal(got, cur) && !bytes.Equal(got, old) {
		t.Fatalf("GET during an overwrite read %q", got)
	}
}
