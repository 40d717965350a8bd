package ontap

import (
	"net/http"
	"sort"
	"strings"

	"coffer/internal/ontap/collection"
	"coffer/internal/openapi"
)

// The OpenAPI 3 description of the endpoints this adapter serves (served
// at /docs/api/ontap.json). It is generated from the route table: the
// resources, their methods (the methods map) and the path templates
// below, which openapi_test.go parses back through parseRoute so that the
// document cannot drift from what the router answers.

// resourceDoc is a resource's path template and the nouns its summaries
// use.
type resourceDoc struct {
	path     string
	singular string
	plural   string // set for collections
	tag      string
	// job marks the methods that run as jobs (202 with a job link unless
	// return_timeout lets them finish).
	job map[string]bool
	// known, post and patch are the field sets the handlers check: the
	// record's fields (fields= and filters), and the fields a POST or
	// PATCH body accepts. Nil where the resource has none.
	known, post, patch *collection.FieldSet
}

var resourceDocs = map[resource]resourceDoc{
	resCluster:    {path: "/cluster", singular: "the cluster", tag: "cluster"},
	resJobs:       {path: "/cluster/jobs", plural: "jobs", tag: "cluster", known: &jobKnown},
	resJob:        {path: "/cluster/jobs/{uuid}", singular: "a job", tag: "cluster", known: &jobKnown},
	resAccounts:   {path: "/security/accounts", plural: "management accounts", tag: "security", known: &accountKnown},
	resAudit:      {path: "/security/audit/messages", plural: "audit records of management changes", tag: "security", known: &auditKnown},
	resNodes:      {path: "/cluster/nodes", plural: "nodes", tag: "cluster", known: &nodeKnown},
	resNode:       {path: "/cluster/nodes/{uuid}", singular: "a node", tag: "cluster", known: &nodeKnown},
	resSVMs:       {path: "/svm/svms", plural: "SVMs (tenants)", singular: "an SVM", tag: "svm", job: jobOn("POST"), known: &svmKnown, post: &svmPostFields},
	resSVM:        {path: "/svm/svms/{uuid}", singular: "an SVM", tag: "svm", job: jobOn("PATCH", "DELETE"), known: &svmKnown, patch: &svmPatchFields},
	resServices:   {path: "/protocols/s3/services", plural: "S3 services", singular: "an S3 service", tag: "s3", known: &serviceKnown, post: &servicePostFields},
	resService:    {path: "/protocols/s3/services/{svm.uuid}", singular: "an S3 service", tag: "s3", job: jobOn("DELETE"), known: &serviceKnown, patch: &servicePatchFields},
	resUsers:      {path: "/protocols/s3/services/{svm.uuid}/users", plural: "S3 users", singular: "an S3 user (answers its keys once)", tag: "s3", known: &userKnown, post: &userPostFields},
	resUser:       {path: "/protocols/s3/services/{svm.uuid}/users/{name}", singular: "an S3 user (regenerate_keys=true rotates its keys)", tag: "s3", known: &userKnown, patch: &userPatchFields},
	resSvmBuckets: {path: "/protocols/s3/services/{svm.uuid}/buckets", plural: "an SVM's buckets", singular: "a bucket", tag: "s3", job: jobOn("POST"), known: &bucketKnown, post: &bucketPostFields},
	resSvmBucket:  {path: "/protocols/s3/services/{svm.uuid}/buckets/{uuid}", singular: "a bucket", tag: "s3", job: jobOn("PATCH", "DELETE"), known: &bucketKnown, patch: &bucketPatchFields},
	resGroups:     {path: "/protocols/s3/services/{svm.uuid}/groups", plural: "S3 groups", singular: "an S3 group", tag: "s3", known: &groupKnown, post: &groupPostFields},
	resGroup:      {path: "/protocols/s3/services/{svm.uuid}/groups/{id}", singular: "an S3 group", tag: "s3", known: &groupKnown, patch: &groupPatchFields},
	resPolicies:   {path: "/protocols/s3/services/{svm.uuid}/policies", plural: "S3 policies", singular: "an S3 policy", tag: "s3", known: &policyKnown, post: &policyPostFields},
	resPolicy:     {path: "/protocols/s3/services/{svm.uuid}/policies/{name}", singular: "an S3 policy", tag: "s3", known: &policyKnown, patch: &policyPatchFields},
	resBuckets:    {path: "/protocols/s3/buckets", plural: "buckets of every SVM", singular: "a bucket (svm.uuid or svm.name in the body)", tag: "s3", job: jobOn("POST"), known: &bucketKnown, post: &bucketPostFields},
	resBucket:     {path: "/protocols/s3/buckets/{svm.uuid}/{uuid}", singular: "a bucket", tag: "s3", job: jobOn("PATCH", "DELETE"), known: &bucketKnown, patch: &bucketPatchFields},
	resRules:      {path: "/protocols/s3/services/{svm.uuid}/buckets/{uuid}/rules", plural: "a bucket's lifecycle rules", singular: "a lifecycle rule", tag: "s3", known: &ruleKnown, post: &rulePostFields, patch: &rulePatchFields},
	resRule:       {path: "/protocols/s3/services/{svm.uuid}/buckets/{uuid}/rules/{name}", singular: "a lifecycle rule", tag: "s3", known: &ruleKnown, patch: &rulePatchFields},
}

func jobOn(methods ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range methods {
		m[x] = true
	}
	return m
}

var collectionParams = []openapi.Parameter{
	{Name: "fields", In: "query", Description: "Comma list of fields; * all but expensive ones, ** all.", Schema: &openapi.Schema{Type: "string"}},
	{Name: "max_records", In: "query", Description: "Page size; _links.next continues.", Schema: &openapi.Schema{Type: "integer"}},
	{Name: "order_by", In: "query", Description: "field [asc|desc]", Schema: &openapi.Schema{Type: "string"}},
	{Name: "return_records", In: "query", Schema: &openapi.Schema{Type: "boolean"}},
}

var returnTimeout = openapi.Parameter{Name: "return_timeout", In: "query",
	Description: "Seconds (0..120) to wait for the job before answering.", Schema: &openapi.Schema{Type: "integer"}}

// OpenAPI returns the OpenAPI 3 document of the ONTAP REST API Coffer
// serves, as JSON.
func OpenAPI(version string) []byte {
	d := &openapi.Document{
		OpenAPI: openapi.Version,
		Info: openapi.Info{Title: "Coffer: NetApp ONTAP S3 REST API", Version: version,
			Description: "The ONTAP 9.16.1 REST endpoints Coffer serves for S3 management (docs/ontap.md). " +
				"Generated from the adapter's route table. Collection GETs also take field=value filters on any field."},
		Servers:  []openapi.Server{{URL: "/api"}},
		Paths:    map[string]*openapi.PathItem{},
		Security: []map[string][]string{{"basic": {}}},
		Tags: []openapi.Tag{{Name: "cluster"}, {Name: "security"}, {Name: "svm", Description: "SVMs are Coffer's tenants"},
			{Name: "s3", Description: "S3 services, users, groups, policies and buckets"}},
		Components: &openapi.Components{
			SecuritySchemes: map[string]*openapi.SecurityScheme{"basic": {Type: "http", Scheme: "basic",
				Description: "A management account (COFFER_ADMIN_USER)."}},
			Schemas: map[string]*openapi.Schema{
				"Error": {Type: "object", Properties: map[string]*openapi.Schema{"error": {Type: "object", Properties: map[string]*openapi.Schema{
					"message": {Type: "string"}, "code": {Type: "string"}, "target": {Type: "string"}}}}},
				"Record":     {Type: "object", AdditionalProperties: true, Description: "An ONTAP record (HAL, with _links)."},
				"Collection": {Type: "object", Properties: map[string]*openapi.Schema{"records": {Type: "array", Items: &openapi.Schema{Ref: "#/components/schemas/Record"}}, "num_records": {Type: "integer"}, "_links": {Type: "object", AdditionalProperties: true}}},
				"JobLink":    {Type: "object", Properties: map[string]*openapi.Schema{"job": {Type: "object", Properties: map[string]*openapi.Schema{"uuid": {Type: "string"}, "_links": {Type: "object", AdditionalProperties: true}}}}},
			},
		},
	}
	ress := make([]resource, 0, len(methods))
	for r := range methods {
		ress = append(ress, r)
	}
	sort.Slice(ress, func(i, j int) bool { return ress[i] < ress[j] })
	for _, res := range ress {
		rd := resourceDocs[res]
		item := &openapi.PathItem{}
		for _, p := range openapi.PathParams(rd.path) {
			item.Parameters = append(item.Parameters, openapi.Parameter{Name: p, In: "path", Required: true, Schema: &openapi.Schema{Type: "string"}})
		}
		for _, m := range methods[res] {
			item.Set(m, operation(res, rd, m))
		}
		d.Paths[rd.path] = item
	}
	return d.Marshal()
}

// fieldsSchema describes an object from dotted field paths: nested
// objects for "a.b", a free-form object for "a.*". The field sets carry no
// types, so leaves are untyped.
func fieldsSchema(fs *collection.FieldSet, desc string) *openapi.Schema {
	root := &openapi.Schema{Type: "object", Description: desc, Properties: map[string]*openapi.Schema{}}
	for _, p := range fs.Paths() {
		if p == "*" {
			root.AdditionalProperties = true
			continue
		}
		cur := root
		parts := strings.Split(p, ".")
		for i, part := range parts {
			if part == "*" {
				cur.AdditionalProperties = true
				break
			}
			if cur.Properties == nil {
				cur.Type, cur.Properties = "object", map[string]*openapi.Schema{}
			}
			next := cur.Properties[part]
			if next == nil {
				next = &openapi.Schema{}
				cur.Properties[part] = next
			}
			if i < len(parts)-1 && parts[i+1] != "" {
				next.Type = "object"
			}
			cur = next
		}
	}
	return root
}

func bodyOf(s *openapi.Schema) map[string]openapi.MediaType {
	return map[string]openapi.MediaType{"application/json": {Schema: s}}
}

func operation(res resource, rd resourceDoc, method string) *openapi.Operation {
	op := &openapi.Operation{OperationID: openapi.OperationID(method, rd.path), Tags: []string{rd.tag},
		Responses: map[string]openapi.Response{
			"default": {Description: "An error.", Content: jsonOf("Error")},
		}}
	record := rd.plural == ""
	switch method {
	case http.MethodGet:
		recordContent := jsonOf("Record")
		if rd.known != nil {
			recordContent = map[string]openapi.MediaType{"application/hal+json": {Schema: fieldsSchema(rd.known, "The record's fields (fields= names them; filters match them).")}}
		}
		if record {
			op.Summary = "Retrieve " + rd.singular
			op.Responses["200"] = openapi.Response{Description: "The record.", Content: recordContent}
		} else {
			op.Summary = "List " + rd.plural
			op.Parameters = append(op.Parameters, collectionParams...)
			coll := &openapi.Schema{Type: "object", Properties: map[string]*openapi.Schema{
				"records": {Type: "array", Items: recordContent["application/hal+json"].Schema}, "num_records": {Type: "integer"},
				"_links": {Type: "object", AdditionalProperties: true}}}
			op.Responses["200"] = openapi.Response{Description: "The records.", Content: map[string]openapi.MediaType{"application/hal+json": {Schema: coll}}}
		}
	case http.MethodPost:
		op.Summary = "Create " + rd.singular
		op.Parameters = append(op.Parameters, openapi.Parameter{Name: "return_records", In: "query", Schema: &openapi.Schema{Type: "boolean"}})
		op.RequestBody = &openapi.RequestBody{Required: true, Content: jsonOf("Record")}
		if rd.post != nil {
			op.RequestBody.Content = bodyOf(fieldsSchema(rd.post, "The fields a POST accepts (others answer 262179)."))
		}
		op.Responses["201"] = openapi.Response{Description: "Created; Location names the record.", Content: jsonOf("Collection")}
	case http.MethodPatch:
		op.Summary = "Modify " + rd.singular
		if !record {
			op.Summary = "Modify the " + rd.plural + " the query's field filters select"
		}
		op.RequestBody = &openapi.RequestBody{Required: true, Content: jsonOf("Record")}
		if rd.patch != nil {
			op.RequestBody.Content = bodyOf(fieldsSchema(rd.patch, "The fields a PATCH accepts (others answer 262179)."))
		}
		op.Responses["200"] = openapi.Response{Description: "Modified.", Content: jsonOf("Record")}
	case http.MethodDelete:
		op.Summary = "Delete " + rd.singular
		if !record {
			op.Summary = "Delete the " + rd.plural + " the query's field filters select"
		}
		op.Responses["200"] = openapi.Response{Description: "Deleted.", Content: jsonOf("Record")}
	}
	if rd.job[method] {
		op.Parameters = append(op.Parameters, returnTimeout)
		op.Description = "Runs as a job: 202 with a job link, or the job's outcome when it ends within return_timeout."
		op.Responses["202"] = openapi.Response{Description: "Accepted: follow the job.", Content: jsonOf("JobLink")}
	}
	return op
}

func jsonOf(schema string) map[string]openapi.MediaType {
	return map[string]openapi.MediaType{"application/hal+json": {Schema: &openapi.Schema{Ref: "#/components/schemas/" + schema}}}
}
