package policy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is the comparison a condition operator performs.
type opKind uint8

const (
	opStringEquals opKind = iota
	opStringEqualsIC
	opLike // StringLike and Arn*: wildcard patterns
	opNumEq
	opNumLt
	opNumLe
	opNumGt
	opNumGe
	opDateEq
	opDateLt
	opDateLe
	opDateGt
	opDateGe
	opBool
	opIP
	opNull
)

// opDef is one AWS condition operator.
type opDef struct {
	name string
	kind opKind
	neg  bool // true for the Not... operators: holds when no value matches
}

var opDefs = []opDef{
	{"StringEquals", opStringEquals, false}, {"StringNotEquals", opStringEquals, true},
	{"StringEqualsIgnoreCase", opStringEqualsIC, false}, {"StringNotEqualsIgnoreCase", opStringEqualsIC, true},
	{"StringLike", opLike, false}, {"StringNotLike", opLike, true},
	{"NumericEquals", opNumEq, false}, {"NumericNotEquals", opNumEq, true},
	{"NumericLessThan", opNumLt, false}, {"NumericLessThanEquals", opNumLe, false},
	{"NumericGreaterThan", opNumGt, false}, {"NumericGreaterThanEquals", opNumGe, false},
	{"DateEquals", opDateEq, false}, {"DateNotEquals", opDateEq, true},
	{"DateLessThan", opDateLt, false}, {"DateLessThanEquals", opDateLe, false},
	{"DateGreaterThan", opDateGt, false}, {"DateGreaterThanEquals", opDateGe, false},
	{"Bool", opBool, false},
	{"IpAddress", opIP, false}, {"NotIpAddress", opIP, true},
	{"ArnEquals", opLike, false}, {"ArnLike", opLike, false},
	{"ArnNotEquals", opLike, true}, {"ArnNotLike", opLike, true},
	{"Null", opNull, false},
}

var opsByLower = func() map[string]opDef {
	m := make(map[string]opDef, len(opDefs))
	for _, d := range opDefs {
		m[strings.ToLower(d.name)] = d
	}
	return m
}()

// setQual is an operator's ForAnyValue:/ForAllValues: qualifier.
type setQual uint8

const (
	setNone setQual = iota
	setForAny
	setForAll
)

// parseOperator splits "ForAllValues:StringLikeIfExists" into its parts and
// returns the canonical spelling.
func parseOperator(op string) (canonical string, def opDef, ifExists bool, set setQual, ok bool) {
	rest := op
	prefix := ""
	if len(rest) > 12 && strings.EqualFold(rest[:12], "ForAnyValue:") {
		set, prefix, rest = setForAny, "ForAnyValue:", rest[12:]
	} else if len(rest) > 13 && strings.EqualFold(rest[:13], "ForAllValues:") {
		set, prefix, rest = setForAll, "ForAllValues:", rest[13:]
	}
	suffix := ""
	if len(rest) > 8 && strings.EqualFold(rest[len(rest)-8:], "IfExists") {
		ifExists, suffix, rest = true, "IfExists", rest[:len(rest)-8]
	}
	def, ok = opsByLower[strings.ToLower(rest)]
	if !ok || def.kind == opNull && (ifExists || set != setNone) {
		return "", opDef{}, false, setNone, false
	}
	return prefix + def.name + suffix, def, ifExists, set, true
}

// keyKind says where a condition key's request value comes from.
type keyKind uint8

const (
	keyContext keyKind = iota
	keySourceIP
	keyUsername
	keyCurrentTime
	keyEpochTime
)

// ckey is a precompiled condition key.
type ckey struct {
	raw, lower string
	kind       keyKind
}

func newKey(k string) ckey {
	l := strings.ToLower(k)
	ck := ckey{raw: k, lower: l}
	switch l {
	case "aws:sourceip":
		ck.kind = keySourceIP
	case "aws:username":
		ck.kind = keyUsername
	case "aws:currenttime":
		ck.kind = keyCurrentTime
	case "aws:epochtime":
		ck.kind = keyEpochTime
	}
	return ck
}

// ccond is a precompiled Condition.
type ccond struct {
	kind     opKind
	neg      bool
	ifExists bool
	set      setQual
	key      ckey
	vars     bool // strs contain policy variables
	strs     []string
	pats     []pattern
	nums     []float64
	times    []time.Time
	bools    []bool
	nets     []netip.Prefix
}

func compileCondition(c *Condition, vars bool) (ccond, error) {
	_, def, ifExists, set, ok := parseOperator(c.Operator)
	if !ok {
		return ccond{}, malformed("Condition", "Invalid Condition type : %s", c.Operator)
	}
	if c.Key == "" {
		return ccond{}, malformed("Condition", "Missing condition key for %s", c.Operator)
	}
	if len(c.Values) == 0 {
		return ccond{}, malformed("Condition", "Condition %s on key %s has no values", c.Operator, c.Key)
	}
	cc := ccond{kind: def.kind, neg: def.neg, ifExists: ifExists, set: set, key: newKey(c.Key)}
	bad := func(v string) error {
		return malformed("Condition", "Invalid Condition value for %s on key %s: %q", c.Operator, c.Key, v)
	}
	for _, v := range c.Values {
		switch def.kind {
		case opStringEquals, opStringEqualsIC:
			cc.strs = append(cc.strs, v)
			cc.vars = cc.vars || vars && strings.Contains(v, "${")
		case opLike:
			cc.pats = append(cc.pats, newVarPattern(v, false, vars))
		case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return ccond{}, bad(v)
			}
			cc.nums = append(cc.nums, f)
		case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
			t, ok := parseDate(v)
			if !ok {
				return ccond{}, bad(v)
			}
			cc.times = append(cc.times, t)
		case opBool, opNull:
			b, ok := parseBool(v)
			if !ok {
				return ccond{}, bad(v)
			}
			cc.bools = append(cc.bools, b)
		case opIP:
			p, ok := parsePrefix(v)
			if !ok {
				return ccond{}, bad(v)
			}
			cc.nets = append(cc.nets, p)
		}
	}
	return cc, nil
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseDate accepts ISO 8601 / RFC 3339 dates and times, and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parsePrefix accepts a CIDR ("10.0.0.0/8", "2001:db8::/32"; host bits are
// masked) or a bare address (a /32 or /128). IPv4-mapped IPv6 prefixes are
// turned into IPv4 ones.
func parsePrefix(s string) (netip.Prefix, bool) {
	var p netip.Prefix
	if strings.IndexByte(s, '/') >= 0 {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, false
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return p, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

// reqVal is a request's value for a condition key.
type reqVal struct {
	s    string
	addr netip.Addr
	t    time.Time
	from keyKind // keyContext: s; keySourceIP: addr; keyCurrentTime/keyEpochTime: t
}

func (v *reqVal) str() string {
	switch v.from {
	case keySourceIP:
		return v.addr.String()
	case keyCurrentTime:
		return v.t.UTC().Format(time.RFC3339)
	case keyEpochTime:
		return strconv.FormatInt(v.t.Unix(), 10)
	}
	return v.s
}

func (v *reqVal) num() (float64, bool) {
	if v.from == keyCurrentTime || v.from == keyEpochTime {
		return float64(v.t.Unix()), true
	}
	f, err := strconv.ParseFloat(v.str(), 64)
	return f, err == nil
}

func (v *reqVal) time() (time.Time, bool) {
	if v.from == keyCurrentTime || v.from == keyEpochTime {
		return v.t, true
	}
	return parseDate(v.s)
}

func (v *reqVal) ip() (netip.Addr, bool) {
	a := v.addr
	if v.from != keySourceIP {
		var err error
		if a, err = netip.ParseAddr(v.s); err != nil {
			return a, false
		}
	}
	return a.Unmap().WithZone(""), a.IsValid()
}

// ctxGet finds a key in req.Context, case-insensitively.
func ctxGet(req *Request, k *ckey) (string, bool) {
	if len(req.Context) == 0 {
		return "", false
	}
	if v, ok := req.Context[k.lower]; ok {
		return v, true
	}
	if k.raw != k.lower {
		if v, ok := req.Context[k.raw]; ok {
			return v, true
		}
	}
	for kk, v := range req.Context {
		if strings.EqualFold(kk, k.raw) {
			return v, true
		}
	}
	return "", false
}

// lookup returns the request's value for a condition key.
func lookup(req *Request, k *ckey) (reqVal, bool) {
	if v, ok := ctxGet(req, k); ok {
		return reqVal{s: v}, true
	}
	switch k.kind {
	case keySourceIP:
		if req.SourceIP.IsValid() {
			return reqVal{addr: req.SourceIP, from: keySourceIP}, true
		}
	case keyUsername:
		if req.User != "" {
			return reqVal{s: req.User}, true
		}
	case keyCurrentTime, keyEpochTime:
		if !req.Now.IsZero() {
			return reqVal{t: req.Now, from: k.kind}, true
		}
	}
	return reqVal{}, false
}

// holds evaluates the condition against req (see Condition for the rules).
func (c *ccond) holds(req *Request) bool {
	v, ok := lookup(req, &c.key)
	if c.kind == opNull {
		for _, b := range c.bools {
			if b != ok { // Null true: the key must be absent
				return true
			}
		}
		return false
	}
	if !ok {
		switch {
		case c.ifExists, c.set == setForAll:
			return true
		case c.set == setForAny:
			return false
		}
		return c.neg
	}
	return c.matchAny(req, &v) != c.neg
}

// matchAny reports whether the request value matches any condition value.
func (c *ccond) matchAny(req *Request, v *reqVal) bool {
	switch c.kind {
	case opStringEquals, opStringEqualsIC:
		s := v.str()
		for _, x := range c.strs {
			if c.vars {
				var ok bool
				if x, ok = expandVars(x, req, false); !ok {
					continue
				}
			}
			if x == s || c.kind == opStringEqualsIC && strings.EqualFold(x, s) {
				return true
			}
		}
	case opLike:
		s := v.str()
		for i := range c.pats {
			if c.pats[i].matchReq(req, s) {
				return true
			}
		}
	case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
		f, ok := v.num()
		if !ok {
			return false
		}
		for _, x := range c.nums {
			if cmpHolds(c.kind-opNumEq, compareFloat(f, x)) {
				return true
			}
		}
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		t, ok := v.time()
		if !ok {
			return false
		}
		for _, x := range c.times {
			if cmpHolds(c.kind-opDateEq, t.Compare(x)) {
				return true
			}
		}
	case opBool:
		b, ok := parseBool(v.str())
		if !ok {
			return false
		}
		for _, x := range c.bools {
			if x == b {
				return true
			}
		}
	case opIP:
		a, ok := v.ip()
		if !ok {
			return false
		}
		for _, p := range c.nets {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	return 2 // NaN: nothing holds
}

// cmpHolds applies comparison rel (0 eq, 1 lt, 2 le, 3 gt, 4 ge; the order
// of opNumEq.. and opDateEq..) to the result of a three-way compare of the
// request value with a policy value.
func cmpHolds(rel opKind, c int) bool {
	switch rel {
	case 0:
		return c == 0
	case 1:
		return c == -1
	case 2:
		return c == -1 || c == 0
	case 3:
		return c == 1
	case 4:
		return c == 1 || c == 0
	}
	return false
}

// expandVars replaces policy variables ("${aws:username}") in s with the
// request's values. It fails when a variable has no value, and, for
// wildcard patterns, when a value contains '*' or '?' (which would
// otherwise act as wildcards) or when ${*} or ${?} is used.
func expandVars(s string, req *Request, forPattern bool) (string, bool) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		s = s[i+j+1:]
		switch name {
		case "$":
			b.WriteByte('$')
			continue
		case "*", "?":
			if forPattern {
				return "", false
			}
			b.WriteString(name)
			continue
		}
		k := newKey(strings.TrimSpace(name))
		v, ok := lookup(req, &k)
		if !ok {
			return "", false
		}
		val := v.str()
		if forPattern && hasWildcard(val) {
			return "", false
		}
		b.WriteString(val)
	}
}
