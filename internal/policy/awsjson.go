package policy

import (
	"bytes"
	"encoding/json"
	"strings"
)

// member is one "key": value pair of a JSON object, in document order.
type member struct {
	key string
	val json.RawMessage
}

// objectMembers splits a JSON object into its members in order; ok is false
// when raw is not an object or repeats a key.
func objectMembers(raw []byte) (ms []member, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		for _, m := range ms {
			if m.key == k {
				return nil, false
			}
		}
		ms = append(ms, member{k, v})
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, false
	}
	return ms, true
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// stringOrArray decodes "s" or ["s", ...].
func stringOrArray(raw []byte) ([]string, bool) {
	switch firstByte(raw) {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		return []string{s}, true
	case '[':
		var ss []string
		if json.Unmarshal(raw, &ss) != nil {
			return nil, false
		}
		return ss, true
	}
	return nil, false
}

// scalarsOrArray decodes condition values: strings, numbers and booleans,
// alone or in an array, all as strings.
func scalarsOrArray(raw []byte) ([]string, bool) {
	var items []json.RawMessage
	if firstByte(raw) == '[' {
		if json.Unmarshal(raw, &items) != nil {
			return nil, false
		}
	} else {
		items = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		dec := json.NewDecoder(bytes.NewReader(it))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return nil, false
		}
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case json.Number:
			out = append(out, v.String())
		case bool:
			if v {
				out = append(out, "true")
			} else {
				out = append(out, "false")
			}
		default:
			return nil, false
		}
	}
	return out, true
}

// parseAWS parses AWS policy JSON; allowEmpty accepts a document without
// statements (stored documents: an ONTAP policy may have none).
func parseAWS(b []byte, allowEmpty bool) (Document, error) {
	var d Document
	if !json.Valid(b) {
		return d, errMalformed("This policy contains invalid Json")
	}
	ms, ok := objectMembers(b)
	if !ok {
		return d, errMalformed("This policy contains invalid Json")
	}
	var stmtRaw json.RawMessage
	for _, m := range ms {
		switch m.key {
		case "Version":
			if json.Unmarshal(m.val, &d.Version) != nil {
				return d, malformed("Version", "The policy must contain a valid version string")
			}
		case "Id":
			if json.Unmarshal(m.val, &d.ID) != nil {
				return d, malformed("Id", "Policy has an invalid Id")
			}
		case "Statement":
			stmtRaw = m.val
		default:
			return d, malformed(m.key, "Unknown field %s", m.key)
		}
	}
	var raws []json.RawMessage
	switch firstByte(stmtRaw) {
	case 0:
	case '{':
		raws = []json.RawMessage{stmtRaw}
	case '[':
		if json.Unmarshal(stmtRaw, &raws) != nil {
			return d, malformed("Statement", "Policy has an invalid Statement")
		}
	default:
		return d, malformed("Statement", "Policy has an invalid Statement")
	}
	if len(raws) == 0 && !(allowEmpty && stmtRaw != nil) {
		return d, malformed("Statement", "Missing required field Statement")
	}
	sids := make(map[string]bool, len(raws))
	for _, raw := range raws {
		s, err := parseAWSStatement(raw)
		if err != nil {
			return Document{}, err
		}
		if s.Sid != "" {
			if sids[s.Sid] {
				return Document{}, malformed("Sid", "Statement IDs (SID) in a single policy must be unique")
			}
			sids[s.Sid] = true
		}
		d.Statements = append(d.Statements, s)
	}
	if err := d.Compile(); err != nil {
		return Document{}, err
	}
	return d, nil
}

func parseAWSStatement(raw []byte) (Statement, error) {
	var s Statement
	ms, ok := objectMembers(raw)
	if !ok {
		return s, malformed("Statement", "Policy has an invalid Statement")
	}
	for _, m := range ms {
		switch m.key {
		case "Sid":
			if json.Unmarshal(m.val, &s.Sid) != nil {
				return s, malformed("Sid", "Policy has an invalid Sid")
			}
		case "Effect":
			if json.Unmarshal(m.val, &s.Effect) != nil {
				return s, malformed("Effect", "Invalid effect: %s", string(m.val))
			}
		case "Principal":
			p, err := parseAWSPrincipal(m.val)
			if err != nil {
				return s, err
			}
			s.Principals = p
		case "Action":
			a, ok := stringOrArray(m.val)
			if !ok {
				return s, malformed("Action", "Policy has invalid action")
			}
			s.Actions = a
		case "Resource":
			r, ok := stringOrArray(m.val)
			if !ok {
				return s, malformed("Resource", "Policy has invalid resource")
			}
			s.Resources = r
		case "Condition":
			c, err := parseAWSConditions(m.val)
			if err != nil {
				return s, err
			}
			s.Conditions = c
		case "NotAction", "NotResource", "NotPrincipal":
			return s, malformed(m.key, "%s is not supported", m.key)
		default:
			return s, malformed(m.key, "Unknown field %s", m.key)
		}
	}
	return s, nil
}

// parseAWSPrincipal accepts every form AWS documents for a resource
// policy's Principal: "*", {"AWS": "*"}, {"AWS": account or ARN}, lists of
// them, and {"CanonicalUser": id}.
func parseAWSPrincipal(raw []byte) ([]string, error) {
	bad := malformed("Principal", "Invalid principal in policy")
	switch firstByte(raw) {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil || s != "*" {
			return nil, bad
		}
		return []string{"*"}, nil
	case '{':
	default:
		return nil, bad
	}
	ms, ok := objectMembers(raw)
	if !ok || len(ms) == 0 {
		return nil, bad
	}
	var out []string
	for _, m := range ms {
		if m.key != "AWS" && m.key != "CanonicalUser" {
			return nil, bad
		}
		ps, ok := stringOrArray(m.val)
		if !ok || len(ps) == 0 {
			return nil, bad
		}
		for _, p := range ps {
			var n string
			if m.key == "CanonicalUser" {
				n, ok = fromCanonicalPrincipal(p)
			} else {
				n, ok = fromAWSPrincipal(p)
			}
			if !ok {
				return nil, bad
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// iamPrefix starts IAM ARNs: arn:aws:iam::<account>:user/<name>.
const iamPrefix = "arn:aws:iam::"

// canonicalPrefix starts the canonical form of a CanonicalUser principal.
const canonicalPrefix = "canonical/"

// fromCanonicalPrincipal maps {"CanonicalUser": id} to "canonical/<id>";
// "*" is anyone, as in AWS.
func fromCanonicalPrincipal(id string) (string, bool) {
	if id == "*" {
		return "*", true
	}
	if !isCanonicalID(id) {
		return "", false
	}
	return canonicalPrefix + id, true
}

func isCanonicalID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isAccountID reports whether s is a 12-digit AWS account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fromAWSPrincipal maps an AWS principal to the canonical form: "*";
// "arn:aws:iam::<any account>:user/[path/]<name>" and "<name>" to "<name>";
// "arn:aws:iam::<any account>:group/[path/]<g>" and "group/<g>" to
// "group/<g>"; likewise for "nasgroup/<g>"; an account, as
// "arn:aws:iam::<account>:root" or a bare 12-digit id, to "root" (the
// tenant's root user: naming an account delegates to its administrator).
// The account part is ignored, whatever it says (a 12-digit id or the
// tenant's name): a policy only ever applies within its tenant.
func fromAWSPrincipal(p string) (string, bool) {
	if isAccountID(p) {
		return "root", true
	}
	if rest, ok := strings.CutPrefix(p, iamPrefix); ok {
		_, res, ok := strings.Cut(rest, ":")
		if !ok {
			return "", false
		}
		if res == "root" {
			return "root", true
		}
		kind, path, ok := strings.Cut(res, "/")
		if !ok {
			return "", false
		}
		name := path[strings.LastIndexByte(path, '/')+1:]
		switch kind {
		case "user":
			p = name
		case "group", "nasgroup":
			p = kind + "/" + name
		default:
			return "", false
		}
		if p == "*" {
			return "", false
		}
	}
	kind, _ := splitPrincipal(p)
	return p, kind != "" && kind != "canonical"
}

// toAWSPrincipal is the inverse of fromAWSPrincipal (canonical user
// principals are rendered apart, under "CanonicalUser").
func toAWSPrincipal(p string) string {
	switch kind, name := splitPrincipal(p); kind {
	case "user":
		return iamPrefix + ":user/" + name
	case "group", "nasgroup":
		return iamPrefix + ":" + kind + "/" + name
	}
	return p
}

func parseAWSConditions(raw []byte) ([]Condition, error) {
	ops, ok := objectMembers(raw)
	if !ok {
		return nil, malformed("Condition", "Policy has an invalid Condition")
	}
	var out []Condition
	for _, op := range ops {
		canon, _, _, _, ok := parseOperator(op.key)
		if !ok {
			return nil, malformed("Condition", "Invalid Condition type : %s", op.key)
		}
		keys, ok := objectMembers(op.val)
		if !ok {
			return nil, malformed("Condition", "Policy has an invalid Condition block for %s", op.key)
		}
		for _, k := range keys {
			vals, ok := scalarsOrArray(k.val)
			if !ok {
				return nil, malformed("Condition", "Invalid Condition value for %s on key %s", op.key, k.key)
			}
			out = append(out, Condition{Operator: canon, Key: k.key, Values: vals})
		}
	}
	return out, nil
}

func marshalAWS(d Document) ([]byte, error) {
	if _, err := compile(&d); err != nil {
		return nil, err
	}
	var w jsonWriter
	w.raw("{")
	sep := false
	field := func(k string) {
		if sep {
			w.raw(",")
		}
		sep = true
		w.str(k)
		w.raw(":")
	}
	if d.Version != "" {
		field("Version")
		w.str(d.Version)
	}
	if d.ID != "" {
		field("Id")
		w.str(d.ID)
	}
	field("Statement")
	w.raw("[")
	for i, s := range d.Statements {
		if i > 0 {
			w.raw(",")
		}
		marshalAWSStatement(&w, &s)
	}
	w.raw("]}")
	return w.b.Bytes(), nil
}

func marshalAWSStatement(w *jsonWriter, s *Statement) {
	w.raw("{")
	if s.Sid != "" {
		w.str("Sid")
		w.raw(":")
		w.str(s.Sid)
		w.raw(",")
	}
	w.str("Effect")
	w.raw(":")
	w.str(string(s.Effect))
	if len(s.Principals) > 0 {
		w.raw(`,"Principal":`)
		if len(s.Principals) == 1 && s.Principals[0] == "*" {
			w.str("*")
		} else {
			var ps, cs []string
			for _, p := range s.Principals {
				if id, ok := strings.CutPrefix(p, canonicalPrefix); ok {
					cs = append(cs, id)
				} else {
					ps = append(ps, toAWSPrincipal(p))
				}
			}
			w.raw("{")
			if len(ps) > 0 {
				w.raw(`"AWS":`)
				w.strs(ps)
			}
			if len(cs) > 0 {
				if len(ps) > 0 {
					w.raw(",")
				}
				w.raw(`"CanonicalUser":`)
				w.strs(cs)
			}
			w.raw("}")
		}
	}
	w.raw(`,"Action":`)
	w.strs(s.Actions)
	w.raw(`,"Resource":`)
	w.strs(s.Resources)
	if len(s.Conditions) > 0 {
		w.raw(`,"Condition":{`)
		done := make([]bool, len(s.Conditions))
		firstOp := true
		for i, c := range s.Conditions {
			if done[i] {
				continue
			}
			canon, _, _, _, _ := parseOperator(c.Operator)
			if !firstOp {
				w.raw(",")
			}
			firstOp = false
			w.str(canon)
			w.raw(":{")
			firstKey := true
			for j := i; j < len(s.Conditions); j++ {
				cj := s.Conditions[j]
				if done[j] {
					continue
				}
				if oc, _, _, _, _ := parseOperator(cj.Operator); oc != canon {
					continue
				}
				done[j] = true
				if !firstKey {
					w.raw(",")
				}
				firstKey = false
				w.str(cj.Key)
				w.raw(":")
				w.strs(cj.Values)
			}
			w.raw("}")
		}
		w.raw("}")
	}
	w.raw("}")
}

// jsonWriter writes compact JSON without HTML escaping.
type jsonWriter struct {
	b   bytes.Buffer
	enc *json.Encoder
}

func (w *jsonWriter) raw(s string) { w.b.WriteString(s) }

func (w *jsonWriter) str(s string) {
	if w.enc == nil {
		w.enc = json.NewEncoder(&w.b)
		w.enc.SetEscapeHTML(false)
	}
	_ = w.enc.Encode(s) // a string always encodes
	w.b.Truncate(w.b.Len() - 1)
}

func (w *jsonWriter) strs(ss []string) {
	w.raw("[")
	for i, s := range ss {
		if i > 0 {
			w.raw(",")
		}
		w.str(s)
	}
	w.raw("]")
}
