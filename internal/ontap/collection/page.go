package collection

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Links are a collection response's HAL links (hrefs; "" = absent).
type Links struct {
	Self string
	Next string
}

// Page is one collection GET response. Records is nil when return_records
// was false (the "records" key is then omitted and NumRecords is the number
// of matching records); otherwise NumRecords is len(Records).
type Page struct {
	Records    []map[string]any
	NumRecords int
	Links      Links
}

// MarshalJSON renders ONTAP's envelope:
// {"records":[…],"num_records":N,"_links":{"self":{"href":…},"next":{"href":…}}}
// with "next" only when more records remain. HTML characters are not
// escaped (hrefs keep their '&'); note that json.Marshal re-escapes a
// Marshaler's output, so write with a json.Encoder after
// SetEscapeHTML(false), or write these bytes directly, to keep them.
func (p Page) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if p.Records != nil {
		b.WriteString(`"records":`)
		recs := p.Records
		if err := encode(&b, recs); err != nil {
			return nil, err
		}
		b.WriteByte(',')
	}
	b.WriteString(`"num_records":`)
	b.WriteString(strconv.Itoa(p.NumRecords))
	if p.Links.Self != "" || p.Links.Next != "" {
		b.WriteString(`,"_links":{`)
		sep := ""
		for _, l := range []struct{ name, href string }{{"self", p.Links.Self}, {"next", p.Links.Next}} {
			if l.href == "" {
				continue
			}
			b.WriteString(sep + `"` + l.name + `":{"href":`)
			if err := encode(&b, l.href); err != nil {
				return nil, err
			}
			b.WriteByte('}')
			sep = ","
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func encode(b *bytes.Buffer, v any) error {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Write(bytes.TrimRight(tmp.Bytes(), "\n"))
	return nil
}

// Apply runs a collection GET over records (every record complete, ideally
// in Schema.Key order): it keeps the records q.Match accepts, orders them
// by q.OrderBy then Schema.Key (stable: ties keep input order), skips to
// q.Start, cuts a page of q.MaxRecords with a _links.next that repeats the
// query plus start.<field>=… of the next page's first record, and projects
// each record (see Single; with no fields= a collection returns only
// Schema.Keep). baseHref is the collection path, e.g.
// "/api/protocols/s3/services/<svm>/users"; self repeats the query and adds
// ONTAP's defaults return_records=true and return_timeout=15 when absent.
// records is not modified.
func Apply(records []map[string]any, q Query, baseHref string) Page {
	matched := make([]map[string]any, 0, len(records))
	for _, r := range records {
		if q.Match(r) {
			matched = append(matched, r)
		}
	}
	sortFields := q.sortFields()
	sort.SliceStable(matched, func(i, j int) bool {
		return compareRecords(matched[i], matched[j], sortFields) < 0
	})

	start := q.startIndex(matched, sortFields)
	rest := matched[start:]

	page := Page{Links: Links{Self: q.selfHref(baseHref)}}
	if !q.ReturnRecordsOr(true) {
		page.NumRecords = len(rest)
		return page
	}
	if q.MaxRecords > 0 && len(rest) > q.MaxRecords {
		page.Links.Next = q.nextHref(baseHref, matched, start+q.MaxRecords, start+q.MaxRecords, sortFields)
		rest = rest[:q.MaxRecords]
	}
	page.Records = make([]map[string]any, len(rest))
	for i, r := range rest {
		page.Records[i] = q.render(r, false)
	}
	page.NumRecords = len(page.Records)
	return page
}

// Single renders one record for GET /collection/{id}: fields= as given,
// all non-expensive fields when fields= is absent, always Schema.Keep, and
// _links.self when Schema.SelfHref is set.
func (q Query) Single(rec map[string]any) map[string]any {
	return q.render(rec, true)
}

type sortField struct {
	path string
	desc bool
}

// sortFields is order_by followed by the key fields not already ordered.
func (q Query) sortFields() []sortField {
	var out []sortField
	seen := map[string]bool{}
	for _, o := range q.OrderBy {
		if !seen[o.Field] {
			seen[o.Field] = true
			out = append(out, sortField{o.Field, o.Desc})
		}
	}
	for _, k := range q.Schema.Key {
		if !seen[k] {
			seen[k] = true
			out = append(out, sortField{path: k})
		}
	}
	return out
}

func compareRecords(a, b map[string]any, fields []sortField) int {
	for _, f := range fields {
		c := compareValues(sortValue(a, f.path), sortValue(b, f.path))
		if f.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// startIndex finds where the page starts: the first record at or after the
// start.* position (so a deleted start record loses nothing), then
// start.skip more records of the same position (ties of a non-unique key);
// or start.offset for key-less collections.
func (q Query) startIndex(recs []map[string]any, fields []sortField) int {
	if len(q.Start) == 0 {
		return 0
	}
	if len(q.Schema.Key) == 0 {
		return min(atoiNonNeg(q.Start["offset"]), len(recs))
	}
	i := sort.Search(len(recs), func(i int) bool {
		return compareToStart(recs[i], q.Start, fields) >= 0
	})
	for skip := atoiNonNeg(q.Start["skip"]); skip > 0 && i < len(recs) &&
		compareToStart(recs[i], q.Start, fields) == 0; skip-- {
		i++
	}
	return i
}

func atoiNonNeg(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// compareToStart orders rec against the position in start.
func compareToStart(rec map[string]any, start map[string]string, fields []sortField) int {
	for _, f := range fields {
		s, present := start[f.path]
		c := compareToToken(sortValue(rec, f.path), s, present)
		if f.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func (q Query) selfHref(base string) string {
	v := cloneValues(q.raw)
	if _, ok := v[ParamReturnRecords]; !ok {
		v.Set(ParamReturnRecords, "true")
	}
	if _, ok := v[ParamReturnTimeout]; !ok {
		v.Set(ParamReturnTimeout, strconv.Itoa(DefaultReturnTimeout))
	}
	return joinHref(base, startParams(q.Start), v.Encode())
}

// nextHref links to the page starting at recs[at]: start.<field> for each
// sort field (order_by, then key) of that record, plus start.skip when
// records before it share its position; start.offset without a key.
func (q Query) nextHref(base string, recs []map[string]any, at int, offset int, fields []sortField) string {
	st := map[string]string{}
	if len(q.Schema.Key) == 0 {
		st["offset"] = strconv.Itoa(offset)
	} else {
		next := recs[at]
		for _, f := range fields {
			if s, ok := tokenText(sortValue(next, f.path)); ok {
				st[f.path] = s
			}
		}
		skip := 0
		for i := at - 1; i >= 0 && compareRecords(recs[i], next, fields) == 0; i-- {
			skip++
		}
		if skip > 0 {
			st["skip"] = strconv.Itoa(skip)
		}
	}
	return joinHref(base, startParams(st), q.raw.Encode())
}

func startParams(st map[string]string) string {
	keys := make([]string, 0, len(st))
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = url.QueryEscape(StartPrefix+k) + "=" + url.QueryEscape(st[k])
	}
	return strings.Join(parts, "&")
}

func joinHref(base string, parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	if len(nonEmpty) == 0 {
		return base
	}
	return base + "?" + strings.Join(nonEmpty, "&")
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// render projects one record: named fields, "*" (everything but
// Schema.Expensive unless an expensive field is named too), "**"
// (everything), always Schema.Keep and the record's own _links, plus
// _links.self from Schema.SelfHref.
func (q Query) render(rec map[string]any, single bool) map[string]any {
	fields := q.Fields
	if len(fields) == 0 && single {
		fields = []string{"*"}
	}
	var all, allExp bool
	named := append([]string(nil), q.Schema.Keep...)
	for _, f := range fields {
		switch f {
		case "*":
			all = true
		case "**":
			allExp = true
		default:
			named = append(named, f)
		}
	}
	var out map[string]any
	if allExp {
		out = deepCopy(rec).(map[string]any)
	} else {
		out = Project(rec, named)
		if all {
			full := deepCopy(rec).(map[string]any)
			for _, e := range q.Schema.Expensive {
				removePath(full, strings.Split(strings.TrimSuffix(e, ".*"), "."))
			}
			for k, v := range full {
				mergeInto(out, k, v)
			}
		}
	}
	if l, ok := rec["_links"]; ok {
		mergeInto(out, "_links", deepCopy(l))
	}
	if q.Schema.SelfHref != nil {
		links, ok := out["_links"].(map[string]any)
		if !ok {
			links = map[string]any{}
		}
		links["self"] = map[string]any{"href": q.Schema.SelfHref(rec)}
		out["_links"] = links
	}
	return out
}
