package ontap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// response is what a handler returns; write renders it. A nil body is
// ONTAP's empty object "{}".
type response struct {
	status   int
	body     any
	location string
}

func ok(body any) response { return response{status: http.StatusOK, body: body} }
func created(body any, location string) response {
	return response{status: http.StatusCreated, body: body, location: location}
}

// hrefs. Every _links href and Location carries the /api prefix.
const (
	svmsPath     = "/api/svm/svms"
	servicesPath = "/api/protocols/s3/services"
	bucketsPath  = "/api/protocols/s3/buckets"
	jobsPath     = "/api/cluster/jobs"
)

// esc escapes one path segment for an href.
func esc(s string) string { return pathEscape(s) }

// pathEscape escapes a path segment, keeping the characters ONTAP names
// contain unescaped where a path allows them (@ + = , .).
func pathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '@', c == '+', c == '=', c == ',', c == ':':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func svmHref(uuid string) string    { return svmsPath + "/" + esc(uuid) }
func serviceHref(svm string) string { return servicesPath + "/" + esc(svm) }
func userHref(svm, name string) string {
	return serviceHref(svm) + "/users/" + esc(name)
}
func svmBucketHref(svm, uuid string) string { return serviceHref(svm) + "/buckets/" + esc(uuid) }
func bucketHref(svm, uuid string) string    { return bucketsPath + "/" + esc(svm) + "/" + esc(uuid) }
func groupHref(svm string, id int64) string {
	return serviceHref(svm) + "/groups/" + strconv.FormatInt(id, 10)
}
func policyHref(svm, name string) string { return serviceHref(svm) + "/policies/" + esc(name) }
func jobHref(uuid string) string         { return jobsPath + "/" + esc(uuid) }

// links returns {"self":{"href":href}}.
func links(href string) map[string]any {
	return map[string]any{"self": map[string]any{"href": href}}
}

// svmRef is the embedded {"uuid","name","_links"} object of an SVM.
func svmRef(uuid, name string) map[string]any {
	return map[string]any{"uuid": uuid, "name": name, "_links": links(svmHref(uuid))}
}

// jobLink is the {"uuid","_links"} object of a job.
func jobLink(uuid string) map[string]any {
	return map[string]any{"uuid": uuid, "_links": links(jobHref(uuid))}
}

// encodeJSON renders v as indented JSON without HTML escaping (hrefs keep
// their '&'), followed by a newline.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// setHeaders sets the headers ONTAP sends on every response.
func setHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	ct := "application/hal+json"
	if accept := r.Header.Get("Accept"); strings.Contains(accept, "application/json") &&
		!strings.Contains(accept, "hal+json") {
		ct = "application/json"
	}
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-cache,no-store,must-revalidate")
	h.Set("X-Content-Type-Options", "nosniff")
}

// writeBody writes status and the JSON of body ({} when nil).
func writeBody(w http.ResponseWriter, r *http.Request, status int, body any) {
	if body == nil {
		body = map[string]any{}
	}
	data, err := encodeJSON(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"message":"internal error: response encoding failed","code":"1"}}` + "\n")
	}
	setHeaders(w, r)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}
