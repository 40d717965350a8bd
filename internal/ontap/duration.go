package ontap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coffer/internal/errs"
)

// isoDuration is an ONTAP duration field (key_time_to_live,
// max_key_time_to_live): ISO-8601 "PnDTnHnMnS" or "PnW", with "0" or "PT0S"
// meaning none. Years and months are refused: their length is ambiguous.
type isoDuration struct {
	D   time.Duration
	Set bool
}

// UnmarshalJSON accepts a duration string, or the number 0.
func (d *isoDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n json.Number
		if json.Unmarshal(b, &n) == nil && n.String() == "0" {
			d.D, d.Set = 0, true
			return nil
		}
		return fmt.Errorf("durations are ISO-8601 strings such as \"P30D\" or \"PT12H\", not %s", errs.Excerpt(string(b)))
	}
	v, err := parseISODuration(s)
	if err != nil {
		return err
	}
	d.D, d.Set = v, true
	return nil
}

// maxDuration bounds parsed durations far below time.Duration's range
// (about 114 years), so arithmetic on them cannot overflow.
const maxDuration = 1 << 62

var errBadDuration = errors.New(`durations are ISO-8601 "PnDTnHnMnS" or "PnW" (for example "P30D", "PT12H", "P1W"), or "0"`)

// parseISODuration parses "P[nW][nD][T[nH][nM][nS]]", "0" and "".
func parseISODuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	u := strings.ToUpper(s)
	if !strings.HasPrefix(u, "P") || len(u) < 3 {
		return 0, fmt.Errorf("invalid duration %q: %w", errs.Excerpt(s), errBadDuration)
	}
	var total time.Duration
	inTime := false
	num := ""
	units := 0
	timeUnits := false
	for _, c := range u[1:] {
		switch {
		case c >= '0' && c <= '9':
			num += string(c)
			continue
		case c == 'T':
			if inTime || num != "" {
				return 0, fmt.Errorf("invalid duration %q: %w", errs.Excerpt(s), errBadDuration)
			}
			inTime = true
			continue
		}
		if num == "" || len(num) > 9 {
			return 0, fmt.Errorf("invalid duration %q: %w", errs.Excerpt(s), errBadDuration)
		}
		n, _ := strconv.ParseInt(num, 10, 64)
		num = ""
		var unit time.Duration
		switch {
		case !inTime && c == 'W':
			unit = 7 * 24 * time.Hour
		case !inTime && c == 'D':
			unit = 24 * time.Hour
		case inTime && c == 'H':
			unit = time.Hour
		case inTime && c == 'M':
			unit = time.Minute
		case inTime && c == 'S':
			unit = time.Second
		default:
			return 0, fmt.Errorf("invalid duration %q: %w", errs.Excerpt(s), errBadDuration)
		}
		if n > int64(maxDuration/unit) || total > maxDuration-time.Duration(n)*unit {
			return 0, fmt.Errorf("duration %q is too long", errs.Excerpt(s))
		}
		total += time.Duration(n) * unit
		units++
		timeUnits = timeUnits || inTime
	}
	if num != "" || units == 0 || inTime && !timeUnits {
		return 0, fmt.Errorf("invalid duration %q: %w", errs.Excerpt(s), errBadDuration)
	}
	return total, nil
}

// formatISODuration renders d as "PnDTnHnMnS" without zero parts ("PT0S"
// for zero), rounding down to seconds.
func formatISODuration(d time.Duration) string {
	if d <= 0 {
		return "PT0S"
	}
	secs := int64(d / time.Second)
	days := secs / 86400
	secs %= 86400
	h, m, sec := secs/3600, secs%3600/60, secs%60
	var b strings.Builder
	b.WriteByte('P')
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
	}
	if h > 0 || m > 0 || sec > 0 {
		b.WriteByte('T')
		if h > 0 {
			b.WriteString(strconv.FormatInt(h, 10) + "H")
		}
		if m > 0 {
			b.WriteString(strconv.FormatInt(m, 10) + "M")
		}
		if sec > 0 {
			b.WriteString(strconv.FormatInt(sec, 10) + "S")
		}
	}
	if b.Len() == 1 {
		return "PT0S"
	}
	return b.String()
}

// ontapTime renders a time as ONTAP does: RFC 3339 with a numeric offset.
func ontapTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }
