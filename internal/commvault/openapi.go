package commvault

import (
	"strings"

	"coffer/internal/openapi"
)

// OpenAPI returns the OpenAPI 3 document of the Commvault API Coffer
// serves, as JSON (served at /docs/api/commvault.json). It is generated
// from the route table (routes), so it lists exactly what match answers:
// paths are the patterns (matched case-insensitively), relative to either
// API root.
func OpenAPI(version string) []byte {
	d := &openapi.Document{
		OpenAPI: openapi.Version,
		Info: openapi.Info{Title: "Coffer: Commvault S3 Vault API", Version: version,
			Description: "The Commvault Command Center REST calls Coffer serves (docs/commvault.md). Generated from the " +
				"adapter's route table. Paths match case-insensitively; empty segments are ignored."},
		Servers:  []openapi.Server{{URL: bases[0]}, {URL: bases[1]}},
		Paths:    map[string]*openapi.PathItem{},
		Security: []map[string][]string{{"authtoken": {}}, {"bearer": {}}},
		Tags: []openapi.Tag{{Name: "session", Description: "Login, tokens and the caller"},
			{Name: "admin", Description: "Administrators only (403 for users)"}, {Name: "self", Description: "Users may call these for themselves"}},
		Components: &openapi.Components{
			SecuritySchemes: map[string]*openapi.SecurityScheme{
				"authtoken": {Type: "apiKey", In: "header", Name: "Authtoken", Description: "The token of POST /Login or POST /V4/AccessToken, with or without its QSDK prefix."},
				"bearer":    {Type: "http", Scheme: "bearer", Description: "The same token as Authorization: Bearer."},
			},
			Schemas: map[string]*openapi.Schema{
				"Object": {Type: "object", AdditionalProperties: true},
				"Error": {Type: "object", Description: "V4 calls answer errorCode and errorMessage; legacy ones also errList[].",
					Properties: map[string]*openapi.Schema{"errorCode": {}, "errorMessage": {Type: "string"},
						"errList": {Type: "array", Items: &openapi.Schema{Type: "object", AdditionalProperties: true}}}},
			},
		},
	}
	for _, r := range routes {
		path := "/" + r.pattern
		item := d.Paths[path]
		if item == nil {
			item = &openapi.PathItem{}
			for _, p := range pathParams(r.pattern) {
				item.Parameters = append(item.Parameters, openapi.Parameter{Name: p, In: "path", Required: true, Schema: &openapi.Schema{Type: "string"}})
			}
			d.Paths[path] = item
		}
		op := &openapi.Operation{OperationID: openapi.OperationID(r.method, path), Summary: r.method + " " + path,
			Responses: map[string]openapi.Response{
				"200":     {Description: "The answer.", Content: jsonObject("Object")},
				"default": {Description: "An error.", Content: jsonObject("Error")}}}
		switch {
		case r.public:
			op.Tags = []string{"session"}
			op.Security = []map[string][]string{}
			op.Description = "Needs no session."
		case r.admin:
			op.Tags = []string{"admin"}
		default:
			op.Tags = []string{"self"}
		}
		if r.legacy {
			op.Description = strings.TrimSpace(op.Description + " Legacy API: errors also carry errList[].")
		}
		if r.method == "POST" || r.method == "PUT" {
			op.RequestBody = &openapi.RequestBody{Content: jsonObject("Object")}
		}
		item.Set(r.method, op)
	}
	return d.Marshal()
}

// pathParams names a pattern's path parameters, its "{name}" segments in
// order (the unit test checks a pattern names each once).
func pathParams(pattern string) []string {
	var out []string
	for _, seg := range strings.Split(pattern, "/") {
		if isParam(seg) {
			out = append(out, strings.Trim(seg, "{}"))
		}
	}
	return out
}

func jsonObject(schema string) map[string]openapi.MediaType {
	return map[string]openapi.MediaType{"application/json": {Schema: &openapi.Schema{Ref: "#/components/schemas/" + schema}}}
}
