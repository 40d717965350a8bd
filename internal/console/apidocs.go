package console

import (
	"html/template"
	"net/http"
	"sort"
	"strings"
)

// DocsPrefix is where the OpenAPI documents are served.
const DocsPrefix = "/docs/api"

// APIDoc is one OpenAPI document served under DocsPrefix.
type APIDoc struct {
	// Name is the file name (ontap.json).
	Name string
	// Title says what it describes.
	Title string
	// JSON is the document.
	JSON []byte
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Coffer management API documents</title><link rel="stylesheet" href="/console/app.css"></head>
<body class="docs"><main id="main"><h1>Coffer management API: OpenAPI 3 documents</h1>
<p>Generated from the route tables of the adapters the management listener serves.</p>
<ul>{{range .}}<li><a href="/docs/api/{{.Name}}">{{.Name}}</a>: {{.Title}}</li>{{end}}</ul>
<p><a href="/console/">Back to the console</a></p></main></body></html>
`))

// DocsHandler serves an HTML list of docs at DocsPrefix and each document
// at DocsPrefix/<name>. The documents describe public interfaces and need
// no authentication.
func DocsHandler(docs []APIDoc) http.Handler {
	byName := map[string]APIDoc{}
	for _, d := range docs {
		byName[d.Name] = d
	}
	sorted := append([]APIDoc(nil), docs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		rest := strings.Trim(strings.TrimPrefix(r.URL.Path, DocsPrefix), "/")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if rest == "" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = docsPage.Execute(w, sorted)
			return
		}
		d, ok := byName[rest]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(d.JSON)
	})
}
