package s3api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

func allKinds() []errs.Kind {
	var ks []errs.Kind
	for k := errs.Kind(0); !strings.HasPrefix(k.String(), "Kind("); k++ {
		ks = append(ks, k)
	}
	return ks
}

func TestErrorTableCoversEveryKind(t *testing.T) {
	kinds := allKinds()
	if len(kinds) < 40 {
		t.Fatalf("only %d kinds found; errs changed shape?", len(kinds))
	}
	for _, k := range kinds {
		e, ok := errorTable[k]
		if !ok {
			t.Errorf("errs.%v has no S3 mapping", k)
			continue
		}
		if e.Code == "" || e.Status < 300 || e.Status > 599 || e.Message == "" {
			t.Errorf("errs.%v maps to incomplete %+v", k, e)
		}
	}
}

func TestErrorTable(t *testing.T) {
	tests := []struct {
		err    error
		code   string
		status int
	}{
		{errs.New(errs.NoSuchBucket, "x"), "NoSuchBucket", 404},
		{errs.NoSuchKey, "NoSuchKey", 404},
		{fmt.Errorf("wrapped: %w", errs.New(errs.NoSuchUpload, "")), "NoSuchUpload", 404},
		{errs.New(errs.InvalidAccessKeyID, ""), "InvalidAccessKeyId", 403},
		{errs.New(errs.SignatureExpired, ""), "AccessDenied", 403},
		{errs.New(errs.ServiceDisabled, ""), "AccessDenied", 403},
		{errs.New(errs.ContentSHA256Mismatch, ""), "XAmzContentSHA256Mismatch", 400},
		{errs.New(errs.Conflict, ""), "ConditionalRequestConflict", 409},
		{errs.New(errs.QuotaExceeded, ""), "QuotaExceeded", 403},
		{errs.New(errs.NotModified, ""), "NotModified", 304},
		{errs.New(errs.InvalidRange, ""), "InvalidRange", 416},
		{errs.New(errs.MissingContentLength, ""), "MissingContentLength", 411},
		{errs.New(errs.NotImplemented, ""), "NotImplemented", 501},
		{errs.New(errs.MethodNotAllowed, ""), "MethodNotAllowed", 405},
		{errs.New(errs.PreconditionFailed, ""), "PreconditionFailed", 412},
		{&objects.DeleteMarkerError{Err: errs.New(errs.NoSuchKey, "gone"), VersionID: "v"}, "NoSuchKey", 404},
		{errs.New(errs.Internal, "disk on fire"), "InternalError", 500},
		{errors.New("plain"), "InternalError", 500},
		{errs.Kind(9999), "InternalError", 500},
	}
	for _, tc := range tests {
		e, _ := lookupError(tc.err)
		if e.Code != tc.code || e.Status != tc.status {
			t.Errorf("%v: got %s %d, want %s %d", tc.err, e.Code, e.Status, tc.code, tc.status)
		}
	}
}

func TestErrorBodyHidesInternalMessages(t *testing.T) {
	body, status := newErrorBody(errs.New(errs.Internal, "secret path /var/x"), Op{}, "/b/k", "RID", "HID")
	if status != http.StatusInternalServerError || strings.Contains(body.Message, "secret") {
		t.Fatalf("internal error leaked: %d %+v", status, body)
	}
	body, _ = newErrorBody(errors.New("secret"), Op{}, "/b/k", "RID", "HID")
	if strings.Contains(body.Message, "secret") {
		t.Fatalf("plain error leaked: %+v", body)
	}
	body, _ = newErrorBody(errs.New(errs.NoSuchKey, "no such thing"), Op{Bucket: "b", Key: "k"}, "/b/k", "RID", "HID")
	if body.Message != "no such thing" || body.Key != "k" || body.BucketName != "" {
		t.Fatalf("known error: %+v", body)
	}
	body, _ = newErrorBody(errs.Field(errs.InvalidArgument, "max-keys", "bad"), Op{}, "/b", "RID", "HID")
	if body.ArgumentName != "max-keys" {
		t.Fatalf("argument name: %+v", body)
	}
}
