package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Ansible's netapp.ontap modules (Debian's `ansible` package bundles the
// collection; scripts/test.sh installs it) run the playbooks of
// testdata/ansible for real against the shared server's management
// listener over HTTPS: create, modify and delete, each twice, the second
// run reporting no change. docs/ontap.md ("Using Coffer with Ansible")
// shows the same files.

// ansibleRun is the JSON callback's report of one ansible-playbook run.
type ansibleRun struct {
	Plays []struct {
		Tasks []struct {
			Task struct {
				Name string `json:"name"`
			} `json:"task"`
			Hosts map[string]ansibleResult `json:"hosts"`
		} `json:"tasks"`
	} `json:"plays"`
	Stats map[string]struct {
		Changed     int `json:"changed"`
		Failures    int `json:"failures"`
		Unreachable int `json:"unreachable"`
		OK          int `json:"ok"`
		Skipped     int `json:"skipped"`
	} `json:"stats"`
	raw string
}

// ansibleResult is one task's result on one host (a loop's items in Results).
type ansibleResult struct {
	Changed   bool            `json:"changed"`
	Failed    bool            `json:"failed"`
	Skipped   bool            `json:"skipped"`
	Msg       any             `json:"msg"`
	AccessKey string          `json:"access_key"`
	SecretKey string          `json:"secret_key"`
	Item      any             `json:"item"`
	Results   []ansibleResult `json:"results"`
	Warnings  []string        `json:"warnings"`
}

// task returns the result of the named task on localhost.
func (r ansibleRun) task(t *testing.T, name string) ansibleResult {
	t.Helper()
	for _, p := range r.Plays {
		for _, tk := range p.Tasks {
			if tk.Task.Name == name {
				return tk.Hosts["localhost"]
			}
		}
	}
	t.Fatalf("no task %q in the run:\n%s", name, r.raw)
	return ansibleResult{}
}

func (r ansibleRun) taskNames() []string {
	var out []string
	for _, p := range r.Plays {
		for _, tk := range p.Tasks {
			out = append(out, tk.Task.Name)
		}
	}
	return out
}

// ansiblePlaybook runs testdata/ansible/<playbook> with the inventory and
// extra variables, and returns the JSON callback's report. A failed task or
// a non-zero exit fails the test.
func ansiblePlaybook(t *testing.T, playbook string, vars map[string]any, env ...string) ansibleRun {
	t.Helper()
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Fatalf("ansible-playbook not found (apt-get install ansible; scripts/test.sh does): %v", err)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "ansible"))
	if err != nil {
		t.Fatal(err)
	}
	varsFile := filepath.Join(t.TempDir(), "vars.json")
	data, _ := json.Marshal(vars)
	if err := os.WriteFile(varsFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(suiteTmpDir, "ansible-home")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ansible-playbook", "-i", filepath.Join(dir, "inventory.yml"),
		filepath.Join(dir, playbook), "-e", "@"+varsFile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0",
		"ANSIBLE_HOME="+home, "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(home, "remote-tmp"),
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3", "ANSIBLE_DEPRECATION_WARNINGS=0")
	cmd.Env = append(cmd.Env, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	runErr := cmd.Run()
	var run ansibleRun
	run.raw = o.String()
	if err := json.Unmarshal(o.Bytes(), &run); err != nil {
		t.Fatalf("ansible-playbook %s: %v; output is not the JSON callback's: %v\nstdout:\n%s\nstderr:\n%s", playbook, runErr, err, o.String(), e.String())
	}
	st, ok := run.Stats["localhost"]
	if runErr != nil || !ok || st.Failures > 0 || st.Unreachable > 0 {
		var failed []string
		for _, p := range run.Plays {
			for _, tk := range p.Tasks {
				if h := tk.Hosts["localhost"]; h.Failed {
					m, _ := json.Marshal(h)
					failed = append(failed, tk.Task.Name+": "+string(m))
				}
			}
		}
		t.Fatalf("ansible-playbook %s: %v, stats %+v; failed tasks:\n%s\nstderr:\n%s", playbook, runErr, run.Stats,
			strings.Join(failed, "\n"), e.String())
	}
	return run
}

// mustBeIdempotent runs playbook a second time and requires no change.
func mustBeIdempotent(t *testing.T, playbook string, vars map[string]any, env ...string) ansibleRun {
	t.Helper()
	run := ansiblePlaybook(t, playbook, vars, env...)
	if st := run.Stats["localhost"]; st.Changed != 0 {
		var changed []string
		for _, p := range run.Plays {
			for _, tk := range p.Tasks {
				if tk.Hosts["localhost"].Changed {
					m, _ := json.Marshal(tk.Hosts["localhost"])
					changed = append(changed, tk.Task.Name+": "+string(m))
				}
			}
		}
		t.Fatalf("second run of %s changed %d tasks, want 0:\n%s", playbook, st.Changed, strings.Join(changed, "\n"))
	}
	return run
}

// mustChangeAll requires every named task of a first run to report a change.
func mustChangeAll(t *testing.T, run ansibleRun, tasks ...string) {
	t.Helper()
	for _, name := range tasks {
		if r := run.task(t, name); !r.Changed {
			m, _ := json.Marshal(r)
			t.Fatalf("first run: task %q reported no change: %s", name, m)
		}
	}
}

func TestONTAP_AnsibleReal_createModifyDelete(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	_, port, err := net.SplitHostPort(sharedSrv.adminAddr)
	if err != nil {
		t.Fatal(err)
	}
	svm := "ans_" + randHex(8)
	bucket := "ansible-" + randHex(10)
	vars := map[string]any{
		"ontap_hostname": "127.0.0.1", "ontap_port": port, "ontap_username": cofferAdminUser,
		"ontap_password": cofferAdminPassword, "svm_name": svm, "bucket_name": bucket,
		"s3_server_name": "s3." + strings.ReplaceAll(svm, "_", "-") + ".example.com",
	}
	t.Cleanup(func() {
		// Whatever a failed run left behind.
		r := c.do(t, "GET", "/api/svm/svms?name="+svm+"&fields=uuid", nil)
		if r.Status == 200 && r.num("num_records") == 1 {
			c.destroySVM(t, ontapSVM{UUID: r.str("records.0.uuid"), Name: svm})
		}
	})

	// create, twice.
	run := ansiblePlaybook(t, "create.yml", vars)
	mustChangeAll(t, run, "SVM", "S3 server", "S3 users", "S3 policy", "S3 group", "S3 bucket")
	if info := run.task(t, "Read back the S3 configuration"); info.Changed || info.Failed {
		t.Fatalf("rest_info: %+v", info)
	}
	var backupAK, backupSK, readerAK, readerSK string
	for _, it := range run.task(t, "S3 users").Results {
		switch it.Item {
		case "backup":
			backupAK, backupSK = it.AccessKey, it.SecretKey
		case "reader":
			readerAK, readerSK = it.AccessKey, it.SecretKey
		}
	}
	if backupAK == "" || backupSK == "" || readerAK == "" || readerSK == "" {
		t.Fatalf("na_ontap_s3_users returned no keys: %s", run.raw)
	}
	// The second run verifies the generated certificate instead of skipping
	// the check (requests honours REQUESTS_CA_BUNDLE).
	pinned := map[string]any{}
	for k, v := range vars {
		pinned[k] = v
	}
	pinned["ontap_validate_certs"] = true
	pinned["ontap_hostname"] = "localhost"
	mustBeIdempotent(t, "create.yml", pinned, sharedSrv.AdminCAEnv()...)

	// What the playbook made, through the API and S3.
	l := c.do(t, "GET", "/api/svm/svms?name="+svm+"&fields=comment,language,snapshot_policy,max_volumes", nil).must(t, 200)
	if l.num("num_records") != 1 || l.str("records.0.comment") != "managed by ansible" || l.str("records.0.language") != "c.utf_8" {
		t.Fatalf("SVM after create.yml: %s", l.Raw)
	}
	uuid := l.str("records.0.uuid")
	backup := newClient(t, suite.endpoint, backupAK, backupSK)
	if _, err := backup.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("nightly/1"),
		Body: strings.NewReader("backup data")}); err != nil {
		t.Fatalf("the bucket policy from the playbook does not let backup write: %v", err)
	}
	reader := newClient(t, suite.endpoint, readerAK, readerSK)
	if got, _ := getBytes(t, reader, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("nightly/1")}); string(got) != "backup data" {
		t.Fatalf("reader (group readers, policy readonly) got %q", got)
	}
	_, err = reader.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("x"), Body: strings.NewReader("x")})
	wantErr(t, "reader PutObject", err, "AccessDenied", 403)

	// modify, twice.
	run = ansiblePlaybook(t, "modify.yml", vars)
	mustChangeAll(t, run, "SVM", "S3 server", "S3 user comment", "S3 policy", "S3 group", "S3 bucket")
	mustBeIdempotent(t, "modify.yml", vars)
	g := c.do(t, "GET", "/api/svm/svms/"+uuid+"?fields=comment,snapshot_policy,max_volumes", nil).must(t, 200)
	if g.str("comment") != "managed by ansible, modified" || g.str("snapshot_policy.name") != "none" || g.str("max_volumes") != "500" {
		t.Fatalf("SVM after modify.yml: %s", g.Raw)
	}
	b := c.do(t, "GET", "/api/protocols/s3/buckets?name="+bucket+"&fields=size,comment,policy", nil).must(t, 200)
	if b.num("records.0.size") != 2147483648 || b.str("records.0.comment") != "backups, 2 GiB" || !strings.Contains(b.Raw, "group/readers") {
		t.Fatalf("bucket after modify.yml: %s", b.Raw)
	}
	grp := c.do(t, "GET", "/api/protocols/s3/services/"+uuid+"/groups?name=readers&fields=users", nil).must(t, 200)
	if !strings.Contains(grp.Raw, `"backup"`) {
		t.Fatalf("group after modify.yml: %s", grp.Raw)
	}

	// delete (the bucket must be empty first), twice.
	if _, err := backup.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("nightly/1")}); err != nil {
		t.Fatalf("empty the bucket: %v", err)
	}
	run = ansiblePlaybook(t, "delete.yml", vars)
	mustChangeAll(t, run, "S3 bucket", "S3 group", "S3 policy", "S3 users", "S3 server", "SVM")
	run = mustBeIdempotent(t, "delete.yml", vars)
	if r := run.task(t, "S3 users"); !r.Skipped {
		t.Fatalf("second delete run: the user task should be skipped once the SVM is gone: %+v", r)
	}
	if l := c.do(t, "GET", "/api/svm/svms?name="+svm, nil).must(t, 200); l.num("num_records") != 0 {
		t.Fatalf("SVM still there after delete.yml: %s", l.Raw)
	}
}
