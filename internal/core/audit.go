package core

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"coffer/internal/kv"
)

// The audit log: one record per management change (a POST, PUT, PATCH or
// DELETE of a management dialect, failed ones included), saying who
// (user), from where (location: the client address), what (input: the
// method, path and redacted body), and the entity before and after the
// change (as the dialect's GET renders it, redacted), with the outcome.
//
// Records are append-only under 'x' index(8, big-endian), the index drawn
// from the 'i' "audit" counter, so a range scan lists them in order. The
// dialect appends a record right after the change committed (its own
// transaction: a crash between the two loses the record, never the
// change). At most Options.AuditMaxRecords are kept, none older than
// Options.AuditRetention; older ones are pruned as new ones arrive.
//
// Secrets never reach the log: Redact replaces the value of every JSON
// member whose name says secret, password or token, at any depth, before
// a record is built, and bodies that are not JSON are not stored.

const nsAudit = 'x'

// AuditRecord is one audit log entry. The JSON names are ONTAP's
// (GET /api/security/audit/messages) where it has one.
type AuditRecord struct {
	Schema int `json:"_v"`
	// Index orders the records (assigned by AppendAudit).
	Index int64     `json:"index"`
	Time  time.Time `json:"timestamp"`
	// Node is the name of the node that served the change.
	Node string `json:"node,omitempty"`
	// Application is the dialect: "ontap" or "commvault".
	Application string `json:"application"`
	// Location is the client's address.
	Location string `json:"location,omitempty"`
	// User is the authenticated management account or user.
	User string `json:"user,omitempty"`
	// Input is "METHOD path" and, after " : ", the redacted request body.
	Input string `json:"input"`
	// State is "success" or "error".
	State string `json:"state"`
	// Scope is "cluster", or "svm" for a change inside one tenant (SVM).
	Scope string `json:"scope"`
	// SVM is the tenant's uuid of an "svm" change.
	SVM string `json:"svm,omitempty"`
	// CommandID is the request id (the X-Request-Id of the answer).
	CommandID string `json:"command_id,omitempty"`
	// Status is the HTTP status answered; ErrorCode the dialect's code of a
	// failure.
	Status    int    `json:"status"`
	ErrorCode string `json:"error_code,omitempty"`
	// Before and After are the entity before and after the change (JSON,
	// redacted), when the dialect can read it.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

const auditSchema = 1

// Audit limits.
const (
	DefaultAuditMaxRecords = 100_000
	DefaultAuditRetention  = 90 * 24 * time.Hour
	// maxAuditInput and maxAuditState bound a record's input and each of
	// its before and after documents.
	maxAuditInput = 4 << 10
	maxAuditState = 16 << 10
)

func auditKey(index int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{nsAudit}, uint64(index))
}

// AppendAudit stores a record (its Index and, when zero, Time are set
// here) and prunes the log to its bounds. Input, Before and After are
// redacted and bounded again here, whatever the caller did.
func (s *Service) AppendAudit(ctx context.Context, rec AuditRecord) (AuditRecord, error) {
	rec.Schema = auditSchema
	if rec.Time.IsZero() {
		rec.Time = s.now().UTC()
	}
	rec.Input = boundText(rec.Input, maxAuditInput)
	rec.Before, rec.After = boundJSON(Redact(rec.Before)), boundJSON(Redact(rec.After))
	err := s.update(ctx, "append audit record", func(tx kv.Txn) error {
		n, err := nextID(tx, "audit")
		if err != nil {
			return err
		}
		rec.Index = n
		if err := kv.SetJSON(tx, auditKey(n), &rec); err != nil {
			return err
		}
		return s.pruneAuditTx(tx, n) // usually reads one record and stops
	})
	return rec, err
}

// pruneAuditTx deletes up to 1,000 records beyond the count bound or the
// age bound.
func (s *Service) pruneAuditTx(tx kv.Txn, newest int64) error {
	cutoff := s.now().Add(-s.opts.AuditRetention)
	keep := int64(s.opts.AuditMaxRecords)
	prefix := []byte{nsAudit}
	it := tx.NewIterator(prefix, kv.PrefixEnd(prefix))
	var dead [][]byte
	for ok := it.First(); ok && len(dead) < 1000; ok = it.Next() {
		k := it.Key()
		if len(k) != 9 {
			continue
		}
		idx := int64(binary.BigEndian.Uint64(k[1:]))
		var r struct {
			Time time.Time `json:"timestamp"`
		}
		_ = json.Unmarshal(it.Value(), &r)
		if idx > newest-keep && !r.Time.Before(cutoff) {
			break
		}
		dead = append(dead, append([]byte(nil), k...))
	}
	err := it.Err()
	it.Close()
	if err != nil {
		return err
	}
	for _, k := range dead {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// AuditQuery selects audit records: those with an index above After, at
// most Limit (0: all), oldest first. Newest, when set, starts instead
// after the Newest most recent records' predecessor (the last Newest
// records), if that is later than After.
type AuditQuery struct {
	After  int64
	Limit  int
	Newest int
}

// ListAudit returns audit records in index order.
func (s *Service) ListAudit(ctx context.Context, q AuditQuery) ([]AuditRecord, error) {
	var out []AuditRecord
	err := s.view(ctx, "list audit records", func(tx kv.Reader) error {
		out = nil
		after := q.After
		if q.Newest > 0 {
			last, err := tx.Get(key('i', "audit"))
			if err != nil && !errors.Is(err, kv.ErrNotFound) {
				return err
			}
			if len(last) == 8 {
				after = max(after, int64(binary.BigEndian.Uint64(last))-int64(q.Newest))
			}
		}
		prefix := []byte{nsAudit}
		it := tx.NewIterator(auditKey(max(after, 0)+1), kv.PrefixEnd(prefix))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			var r AuditRecord
			if err := jsonUnmarshal(it.Value(), &r); err != nil {
				return err
			}
			out = append(out, r)
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
		}
		return it.Err()
	})
	return out, err
}

// redacted replaces a secret's value.
const redacted = "********"

// secretName reports whether a JSON member name holds a secret: it says
// secret, password, passphrase or token (secret_key, secretAccessKey,
// password, newPassword, token, refresh_token, Authtoken...).
func secretName(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "secret") || strings.Contains(n, "password") ||
		strings.Contains(n, "passphrase") || strings.Contains(n, "token")
}

// Redact returns a JSON document with the value of every secret member
// (secretName) replaced, at any depth. A document that is not JSON
// becomes a JSON string saying only its size; nil stays nil.
func Redact(doc []byte) json.RawMessage {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		b, _ := json.Marshal("(" + strconv.Itoa(len(doc)) + " bytes, not JSON)")
		return b
	}
	out, err := json.Marshal(redactValue(v))
	if err != nil {
		return nil
	}
	return out
}

func redactValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if secretName(k) {
				if x != nil && x != "" {
					t[k] = redacted
				}
				continue
			}
			t[k] = redactValue(x)
		}
	case []any:
		for i := range t {
			t[i] = redactValue(t[i])
		}
	}
	return v
}

// RedactText is Redact for a body quoted in a record's input: the
// redacted JSON as text ("" for none).
func RedactText(body []byte) string { return string(Redact(body)) }

func boundText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "...(" + strconv.Itoa(len(s)) + " bytes)"
}

func boundJSON(doc json.RawMessage) json.RawMessage {
	if len(doc) <= maxAuditState {
		return doc
	}
	b, _ := json.Marshal("(" + strconv.Itoa(len(doc)) + " bytes, too large to keep)")
	return b
}
