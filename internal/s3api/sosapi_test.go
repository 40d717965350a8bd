package s3api

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"coffer/internal/core"
)

func TestSOSAPIDocuments(t *testing.T) {
	sys := string(sosapiSystemDoc(true, "1.4.2"))
	for _, want := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, `<SystemInfo>`, `<ProtocolVersion>"1.0"</ProtocolVersion>`,
		`<ModelName>"Coffer 1.4.2"</ModelName>`, `<CapacityInfo>true</CapacityInfo>`, `<UploadSessions>false</UploadSessions>`,
		`<IAMSTS>false</IAMSTS>`} {
		if !strings.Contains(sys, want) {
			t.Errorf("system.xml lacks %s:\n%s", want, sys)
		}
	}
	// Veeam's document: no SystemRecommendations unless Veeam approved
	// them, no APIEndpoints without IAMSTS.
	for _, absent := range []string{"SystemRecommendations", "APIEndpoints", "TasksLimit", "KbBlockSize"} {
		if strings.Contains(sys, absent) {
			t.Errorf("system.xml has %s:\n%s", absent, sys)
		}
	}
	// The version cannot break the quoting, and without one the model is
	// the name alone.
	if sys := string(sosapiSystemDoc(false, `2"x`+"\n")); !strings.Contains(sys, `<ModelName>"Coffer 2x"</ModelName>`) || !strings.Contains(sys, `<CapacityInfo>false</CapacityInfo>`) {
		t.Errorf("sanitized version:\n%s", sys)
	}
	if sys := string(sosapiSystemDoc(true, "")); !strings.Contains(sys, `<ModelName>"Coffer"</ModelName>`) {
		t.Errorf("no version:\n%s", sys)
	}
	var c sosapiCapacityXML
	if err := xml.Unmarshal(sosapiCapacityDoc(1000, 300, 1<<40, 1<<30), &c); err != nil || c.Capacity != 1000 || c.Available != 700 || c.Used != 300 {
		t.Fatalf("quota capacity: %+v %v", c, err)
	}
	if err := xml.Unmarshal(sosapiCapacityDoc(100, 300, 1<<40, 1<<30), &c); err != nil || c.Available != 0 {
		t.Fatalf("over quota: %+v %v", c, err)
	}
	if err := xml.Unmarshal(sosapiCapacityDoc(0, 300, 1<<40, 1<<30), &c); err != nil || c.Capacity != 1<<40 || c.Available != 1<<30 || c.Used != 300 {
		t.Fatalf("filesystem capacity: %+v %v", c, err)
	}
}

func TestSOSAPIObjects(t *testing.T) {
	disk := func() (int64, int64, error) { return 5000, 2000, nil }
	h := newHarness(t, func(o *Options) { o.DiskSpace = func() (int64, int64, error) { return disk() } })
	h.want(h.do("PUT", "/vee", ""), 200)
	resp := h.do("GET", "/vee/"+sosapiSystem, "")
	body := h.want(resp, 200)
	if !strings.Contains(body, "<CapacityInfo>true</CapacityInfo>") || resp.Header.Get("Content-Type") != "application/xml" || resp.Header.Get("ETag") == "" {
		t.Fatalf("system.xml: %v\n%s", resp.Header, body)
	}
	var c sosapiCapacityXML
	if err := xml.Unmarshal([]byte(h.want(h.do("GET", "/vee/"+sosapiCapacity, ""), 200)), &c); err != nil || c.Capacity != 5000 || c.Available != 2000 {
		t.Fatalf("capacity.xml without a quota: %+v %v", c, err)
	}
	h.be.mu.Lock()
	for _, b := range h.be.buckets {
		b.info.QuotaBytes, b.info.UsedBytes = 1000, 250
	}
	h.be.mu.Unlock()
	if err := xml.Unmarshal([]byte(h.want(h.do("GET", "/vee/"+sosapiCapacity, ""), 200)), &c); err != nil || c.Capacity != 1000 || c.Available != 750 || c.Used != 250 {
		t.Fatalf("capacity.xml with a quota: %+v %v", c, err)
	}
	resp = h.do("HEAD", "/vee/"+sosapiCapacity, "")
	if h.want(resp, 200) != "" || resp.Header.Get("Content-Length") == "0" {
		t.Fatalf("HEAD: %v", resp.Header)
	}
	// A PUT is accepted and discarded; the virtual object stays and is not listed.
	h.want(h.do("PUT", "/vee/"+sosapiSystem, "<SystemInfo/>"), 200)
	if body := h.want(h.do("GET", "/vee/"+sosapiSystem, ""), 200); !strings.Contains(body, "Coffer") {
		t.Fatalf("a PUT replaced system.xml: %s", body)
	}
	if list := h.want(h.do("GET", "/vee?list-type=2", ""), 200); strings.Contains(list, ".system-") {
		t.Fatalf("SOSAPI objects listed: %s", list)
	}
	h.want(h.do("DELETE", "/vee/"+sosapiSystem, ""), 204)
	h.want(h.do("GET", "/vee/"+sosapiSystem, ""), 200)
	// Other keys under the prefix are ordinary.
	h.want(h.do("GET", "/vee/"+sosapiPrefix+"other.xml", ""), 404)
	if e := errorDoc(t, h.want(h.do("GET", "/missing/"+sosapiSystem, ""), 404)); e.Code != "NoSuchBucket" {
		t.Fatalf("missing bucket: %s", e.Code)
	}
	disk = func() (int64, int64, error) { return 0, 0, errors.New("statfs failed") }
	h.be.mu.Lock()
	for _, b := range h.be.buckets {
		b.info.QuotaBytes = 0
	}
	h.be.mu.Unlock()
	h.want(h.do("GET", "/vee/"+sosapiCapacity, ""), 500)
	// Authorization is the ordinary s3:GetObject on the key.
	h.authz.mu.Lock()
	h.authz.deny = func(r core.Request) bool { return r.Action == "s3:GetObject" && r.Key == sosapiSystem }
	h.authz.mu.Unlock()
	h.want(h.do("GET", "/vee/"+sosapiSystem, ""), 403)
}
