package commvault

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Fuzz targets for the management JSON bodies: the parsers never panic,
// what they accept is well formed, and the handler answers every body with
// a JSON document and never with a 500.

var vaultSeeds = []string{
	`{"bucket":{"clientName":"string"},"plan":{"planId":0,"planName":"string"},"cvs3Endpoints":[{"clientId":0,"clientName":"string"}],"owners":[{"userId":0,"__type__":13}],"userGroups":[{"userGroupId":0,"__type__":15}],"rotateKeys":true}`,
	`{"bucket": {"clientName": "docusign-backup-vault"}, "plan": {"planId": 3, "planName": "aravind-sp"}, "owners": [{"userId": 4, "userName": "admin"}]}`,
	`{"bucket":{"clientName":"v"},"plan":{"planId":1},"owners":[{"userId":1,"_type_":13,"__type__":13}]}`,
	`{"bucket":{"clientName":"v"},"plan":{"planId":2147483648}}`,
	`{"bucket":null,"plan":null}`,
	`{"owners":[null,{}],"userGroups":[{"__type__":"15"}]}`,
	`[1,2]`, `"x"`, `null`, `{}`, `{"bucket":{"clientName":"a"}}{}`, "{\"bucket\":{\"clientName\":\"\u00e9\"}}",
}

func FuzzParseCreateVault(f *testing.F) {
	for _, s := range vaultSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := parseCreateVault(body)
		if err != nil {
			if _, mapped := toAPIError(err); !mapped {
				t.Fatalf("unmapped parse error %v", err)
			}
			return
		}
		if in.Name == "" || in.Plan.ID < 0 || in.Plan.ID == 0 && in.Plan.Name == "" {
			t.Fatalf("accepted an incomplete body: %+v", in)
		}
		for _, r := range append(append(in.Owners, in.Groups...), in.Endpoints...) {
			if r.ID < 0 || r.ID == 0 && r.Name == "" {
				t.Fatalf("accepted an entry without id: %+v", in)
			}
		}
	})
}

func FuzzDecodeBodies(f *testing.F) {
	for _, s := range append(vaultSeeds,
		`{"username":"admin","password":"cGFzc3dvcmQ="}`,
		`{"users":[{"name":"u","email":"u@x","password":"cGFzc3dvcmQ="}]}`,
		`{"planName":"p","backupDestinations":[{"retentionPeriodDays":30,"storagePool":{"name":"x"}}]}`,
		`{"name":"g","users":[{"id":1},{"name":"u"}],"userOperationType":"ADD"}`,
		`{"jobId":5}`, `{"cvs3Stores":[{"clientId":1}]}`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&loginBody{}, &createUserBody{}, &createPlanBody{}, &groupBody{}, &jobDetailsBody{}, &addEndpointBody{}}
		for _, v := range targets {
			if err := decodeJSON(body, v); err != nil {
				if _, mapped := toAPIError(err); !mapped {
					t.Fatalf("unmapped decode error %v", err)
				}
			}
		}
		_, _ = decodePassword("password", string(body))
	})
}

// FuzzHandler posts fuzzed bodies to every API that takes one, as an
// administrator, against the real core.
func FuzzHandler(f *testing.F) {
	for _, s := range vaultSeeds {
		f.Add("V4/CVS3Store", []byte(s))
	}
	f.Add("V4/ServerPlan", []byte(`{"planName":"p","retentionPeriodDays":5}`))
	f.Add("V4/user", []byte(`{"users":[{"name":"u1","password":"cGFzc3dvcmQx"}]}`))
	f.Add("V4/UserGroup", []byte(`{"name":"g","users":[{"name":"root"}]}`))
	f.Add("JobDetails", []byte(`{"jobId":1}`))
	f.Add("Login", []byte(`{"username":"x","password":"eA=="}`))
	f.Add("V4/Client/1000000001/CVS3endpoint", []byte(`{"cvs3Stores":[{"clientName":"nope"}]}`))
	e := newTestEnv(f)
	n := e.api()
	tok := n.admin(f)
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		if strings.ContainsAny(path, "?#% \t\r\n") || !strings.HasPrefix(strings.ToLower(path), "v4/") &&
			path != "JobDetails" && path != "Login" {
			return
		}
		req, err := http.NewRequest("POST", n.api.URL+"/commandcenter/api/"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authtoken", tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("POST %s %q: HTTP %d %s", path, body, resp.StatusCode, raw)
		}
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("POST %s: not a JSON object: %s", path, raw)
		}
	})
}
