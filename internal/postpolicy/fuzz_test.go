package postpolicy

import (
	"bytes"
	"encoding/base64"
	"io"
	"testing"
	"time"
)

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(awsExample))
	f.Add([]byte(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["starts-with","$key",""],{"a":"b"},["content-length-range","1","2"]]}`))
	f.Add([]byte(`{"expiration":1,"conditions":{}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := ParseJSON(doc)
		if err != nil {
			return
		}
		if p2, err := Parse(base64.StdEncoding.EncodeToString(doc)); err != nil || len(p2.Conditions) != len(p.Conditions) {
			t.Fatalf("Parse of the base64 differs: %v", err)
		}
		lim, err := p.Check(form("key", "k", "Content-Type", "a,b"), "b", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
		if err == nil && lim.Set && lim.Min > lim.Max && len(p.Conditions) == 1 {
			t.Fatalf("a single range with min > max: %+v", lim)
		}
	})
}

func FuzzReadForm(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\ndata\r\n--B--\r\n"), "B")
	f.Add([]byte("--B\r\nContent-Disposition: form-data\r\n\r\nk\r\n--B--"), "B")
	f.Add([]byte("garbage"), "x")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		if boundary == "" {
			return
		}
		form, err := ReadForm(bytes.NewReader(body), boundary)
		if err != nil {
			return
		}
		if form.File == nil {
			t.Fatal("a form without its file")
		}
		size := 0
		for _, fl := range form.Fields {
			size += len(fl.Name) + len(fl.Value)
		}
		if size > MaxFieldsSize || len(form.Fields) > MaxFields {
			t.Fatalf("fields beyond the bounds: %d bytes, %d fields", size, len(form.Fields))
		}
		_, _ = io.Copy(io.Discard, form.File)
	})
}
