package e2e

import (
	"strings"
	"testing"
)

// The requests Ansible's netapp.ontap S3 modules send (na_ontap_svm,
// na_ontap_s3_services, na_ontap_s3_users, na_ontap_s3_buckets: their
// rest_generic helpers add return_timeout=30 to every change, resolve SVMs
// by name, and ask for fields Coffer does not fill), replayed as they are.

func TestONTAP_AnsibleRequests_svmServiceUserBucket(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	name := ontapName(t, "ans")
	// na_ontap_svm: look up (no record), create, look up with its fields.
	svmFields := "subtype,aggregates,language,snapshot_policy,ipspace,comment,nfs,cifs,fcp,iscsi,nvme,state,s3,max_volumes,ndmp"
	r := c.do(t, "GET", "/api/svm/svms?name="+name+"&fields="+svmFields, nil).must(t, 200)
	if r.num("num_records") != 0 {
		t.Fatalf("lookup before create: %s", r.Raw)
	}
	c.do(t, "POST", "/api/svm/svms?return_timeout=30", map[string]any{"name": name, "comment": "ansible"}).must(t, 201)
	r = c.do(t, "GET", "/api/svm/svms?name="+name+"&fields="+svmFields, nil).must(t, 200)
	uuid := r.str("records.0.uuid")
	if uuid == "" || r.get("records.0.nfs.enabled") != false || r.str("records.0.comment") != "ansible" {
		t.Fatalf("na_ontap_svm lookup: %s", r.Raw)
	}
	svm := ontapSVM{UUID: uuid, Name: name}
	t.Cleanup(func() { c.destroySVM(t, svm) })

	// na_ontap_s3_services: create by svm.name, read back with users.
	c.do(t, "POST", "/api/protocols/s3/services?return_timeout=30", map[string]any{
		"svm.name": name, "name": "s3-ans.example.com", "enabled": true, "comment": "by ansible",
	}).must(t, 201)
	r = c.do(t, "GET", "/api/protocols/s3/services?name=s3-ans.example.com&svm.name="+name+
		"&fields=name,enabled,svm.uuid,comment,certificate.name,users", nil).must(t, 200)
	if r.num("num_records") != 1 || r.str("records.0.svm.uuid") != uuid || r.str("records.0.users.0.name") != "root" {
		t.Fatalf("na_ontap_s3_services lookup: %s", r.Raw)
	}
	c.do(t, "PATCH", "/api/protocols/s3/services/"+uuid+"?return_timeout=30",
		map[string]any{"name": "s3-ans.example.com", "comment": "changed"}).must(t, 200)

	// na_ontap_s3_users: create, look up, regenerate (Python's True).
	r = c.do(t, "POST", usersPath(uuid)+"?return_timeout=30", map[string]any{"name": "ansuser", "comment": "c"}).must(t, 201)
	if r.num("num_records") != 1 || r.str("records.0.secret_key") == "" {
		t.Fatalf("user create: %s", r.Raw)
	}
	r = c.do(t, "GET", usersPath(uuid)+"?name=ansuser&fields=name,comment,access_key", nil).must(t, 200)
	if r.str("records.0.access_key") == "" {
		t.Fatalf("user lookup: %s", r.Raw)
	}
	r = c.do(t, "PATCH", usersPath(uuid)+"/ansuser?return_timeout=30&regenerate_keys=True", `{}`).must(t, 200)
	if r.num("num_records") != 1 || r.str("records.0.secret_key") == "" {
		t.Fatalf("regenerate_keys=True: %s", r.Raw)
	}

	// na_ontap_s3_buckets: lookup fields of 9.16.1, create with the old
	// "source-ips" spelling, read back.
	bucket := "ans-" + randHex(10)
	bucketFields := "name,svm.name,size,comment,volume.uuid,policy,policy.statements,qos_policy,audit_event_selector,versioning_state,type,nas_path,snapshot_policy"
	q := "/api/protocols/s3/buckets?name=" + bucket + "&svm.name=" + name + "&fields=" + bucketFields
	if r = c.do(t, "GET", q, nil).must(t, 200); r.num("num_records") != 0 {
		t.Fatalf("bucket lookup before create: %s", r.Raw)
	}
	c.do(t, "POST", "/api/protocols/s3/buckets?return_timeout=30", map[string]any{
		"svm.name": name, "name": bucket, "size": 1 << 30, "comment": "ansible bucket", "type": "s3",
		"policy": map[string]any{"statements": []any{map[string]any{
			"sid": "1", "effect": "allow", "actions": []any{"GetObject"}, "principals": []any{"ansuser"},
			"resources":  []any{bucket, bucket + "/*"},
			"conditions": []any{map[string]any{"operator": "ip_address", "source-ips": []any{"127.0.0.1/32"}}},
		}}},
	}).must(t, 201)
	r = c.do(t, "GET", q, nil).must(t, 200)
	if r.num("num_records") != 1 || r.str("records.0.uuid") == "" || r.str("records.0.svm.uuid") != uuid ||
		r.num("records.0.size") != 1<<30 || r.str("records.0.policy.statements.0.sid") != "1" || r.get("records.0.volume") != nil {
		t.Fatalf("bucket lookup: %s", r.Raw)
	}
	if !strings.Contains(c.do(t, "GET", q+",policy.statements.conditions", nil).Raw, "127.0.0.1/32") {
		t.Fatalf("source-ips alias lost")
	}
	bu := r.str("records.0.uuid")
	c.do(t, "PATCH", "/api/protocols/s3/buckets/"+uuid+"/"+bu+"?return_timeout=30", map[string]any{"comment": "x"}).must(t, 200)
	c.do(t, "DELETE", "/api/protocols/s3/buckets/"+uuid+"/"+bu+"?return_timeout=30", nil).must(t, 200)

	// na_ontap_s3_services delete: delete_all in the body.
	c.do(t, "DELETE", "/api/protocols/s3/services/"+uuid+"?return_timeout=30", `{"delete_all": false}`).must(t, 200)
	c.do(t, "GET", usersPath(uuid), nil).mustError(t, 409, "92405773", "")
}
