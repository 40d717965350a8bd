package openapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestPathParamsAndIDs(t *testing.T) {
	if got := PathParams("/a/{svm.uuid}/b/{name}"); !reflect.DeepEqual(got, []string{"svm.uuid", "name"}) {
		t.Errorf("PathParams = %v", got)
	}
	if got := PathParams("/a/{unclosed"); got != nil {
		t.Errorf("unclosed: %v", got)
	}
	if got := OperationID("GET", "/protocols/s3/services/{svm.uuid}/users"); got != "getProtocolsS3ServicesSvmUuidUsers" {
		t.Errorf("OperationID = %q", got)
	}
}

func TestPathItemSetAndMarshal(t *testing.T) {
	p := &PathItem{}
	for _, m := range []string{"GET", "put", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"} {
		if !p.Set(m, &Operation{OperationID: m}) {
			t.Errorf("Set(%s) refused", m)
		}
	}
	if p.Set("TRACE", &Operation{}) {
		t.Error("TRACE accepted")
	}
	if len(p.Operations()) != 7 {
		t.Errorf("operations %v", p.Operations())
	}
	d := &Document{OpenAPI: Version, Info: Info{Title: "t", Version: "1"}, Paths: map[string]*PathItem{"/x": p}}
	var back map[string]any
	if err := json.Unmarshal(d.Marshal(), &back); err != nil {
		t.Fatal(err)
	}
	if back["openapi"] != "3.0.3" || back["paths"].(map[string]any)["/x"].(map[string]any)["put"] == nil {
		t.Errorf("marshalled %v", back)
	}
}
