package kms

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/uuid"
)

// KeyInfo describes a named key (never its key material).
type KeyInfo struct {
	ID          string
	Alias       string // without "alias/"; "" when none
	Description string
	Enabled     bool
	Created     time.Time
	// CurrentVersion seals new data keys; Versions lists every version,
	// oldest first (all of them still open what they sealed).
	CurrentVersion uint32
	Versions       []VersionInfo
}

// VersionInfo is one version of a named key.
type VersionInfo struct {
	Version uint32
	Created time.Time
}

func (r *keyRecord) info() KeyInfo {
	ki := KeyInfo{ID: r.ID, Alias: r.Alias, Description: r.Description, Enabled: r.Enabled,
		Created: r.Created, CurrentVersion: r.Current}
	for _, v := range r.Versions {
		ki.Versions = append(ki.Versions, VersionInfo{Version: v.Version, Created: v.Created})
	}
	return ki
}

// CreateKeyInput names a new key.
type CreateKeyInput struct {
	// Alias is optional: 1 to 250 characters of letters, digits, '/', '_'
	// and '-', with or without AWS's "alias/" prefix; not "aws/…"; unique.
	Alias string
	// Description is free text, at most 8192 characters (AWS's limit).
	Description string
}

var aliasChars = regexp.MustCompile(`^[a-zA-Z0-9/_-]{1,250}$`)

// uuidForm matches a UUID as AWS writes key ids (lower-case hex, 8-4-4-4-12).
var uuidForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func normalizeAlias(a string) (string, error) {
	a = strings.TrimPrefix(a, "alias/")
	switch {
	case !aliasChars.MatchString(a):
		return "", errs.Field(errs.InvalidArgument, "alias", "an alias is 1 to 250 letters, digits, '/', '_' or '-'")
	case strings.HasPrefix(a, "aws/"):
		return "", errs.Field(errs.InvalidArgument, "alias", "aliases beginning with aws/ are reserved")
	case a == DefaultKeyID || uuidForm.MatchString(strings.ToLower(a)):
		return "", errs.Field(errs.InvalidArgument, "alias", "an alias cannot look like a key id")
	}
	return a, nil
}

// parseRef resolves how a key is named: a key id (UUID or DefaultKeyID),
// "alias/name", a bare alias, or an AWS ARN ending in ":key/<id>" or
// ":alias/<name>". Exactly one of id and alias is set.
func parseRef(ref string) (id, alias string, err error) {
	if strings.HasPrefix(ref, "arn:") {
		i := strings.LastIndexByte(ref, ':')
		ref = ref[i+1:]
		switch {
		case strings.HasPrefix(ref, "key/"):
			ref = strings.TrimPrefix(ref, "key/")
			if ref == "" {
				break
			}
			return ref, "", nil
		case strings.HasPrefix(ref, "alias/"):
		default:
			return "", "", errs.New(errs.KMSKeyNotFound, "KMS key ARN %q names no key", ref)
		}
	}
	switch {
	case ref == "":
		return "", "", errs.New(errs.KMSKeyNotFound, "empty KMS key id")
	case ref == DefaultKeyID || uuidForm.MatchString(ref):
		return ref, "", nil
	}
	alias = strings.TrimPrefix(ref, "alias/")
	if alias == "" {
		return "", "", errs.New(errs.KMSKeyNotFound, "empty KMS key alias")
	}
	return "", alias, nil
}

func getKeyTx(tx kv.Reader, id, alias string) (keyRecord, error) {
	if id == "" {
		b, err := tx.Get(aliasKey(alias))
		if errors.Is(err, kv.ErrNotFound) {
			return keyRecord{}, errs.New(errs.KMSKeyNotFound, "no KMS key has the alias %q", alias)
		}
		if err != nil {
			return keyRecord{}, err
		}
		id = string(b)
	}
	b, err := tx.Get(keyRecKey(id))
	if errors.Is(err, kv.ErrNotFound) {
		return keyRecord{}, errs.New(errs.KMSKeyNotFound, "no KMS key has the id %q", id)
	}
	if err != nil {
		return keyRecord{}, err
	}
	return decodeKey(b)
}

func putKeyTx(tx kv.Txn, r *keyRecord) error {
	r.Schema = keySchema
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Set(keyRecKey(r.ID), b)
}

func (l *Local) createTx(tx kv.Txn, id string, in CreateKeyInput) error {
	now := l.now().UTC()
	r := keyRecord{ID: id, Alias: in.Alias, Description: in.Description, Enabled: true, Created: now, Current: 1}
	r.Versions = []keyVersion{{Version: 1, Created: now, Wrapped: l.wrapVersion(id, 1, randomBytes(32))}}
	if in.Alias != "" {
		if _, err := tx.Get(aliasKey(in.Alias)); err == nil {
			return errs.Field(errs.AlreadyExists, "alias", "a KMS key has the alias %q", in.Alias)
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if err := tx.Set(aliasKey(in.Alias), []byte(id)); err != nil {
			return err
		}
	}
	return putKeyTx(tx, &r)
}

func (l *Local) update(ctx context.Context, fn func(tx kv.Txn) error) error {
	err := l.kv.Update(ctx, fn)
	l.changed()
	return errs.FromStorage(err, "kms key", kv.ErrConflict)
}

// CreateKey makes a new named key with one version, enabled.
func (l *Local) CreateKey(ctx context.Context, in CreateKeyInput) (KeyInfo, error) {
	if in.Alias != "" {
		a, err := normalizeAlias(in.Alias)
		if err != nil {
			return KeyInfo{}, err
		}
		in.Alias = a
	}
	if len(in.Description) > 8192 {
		return KeyInfo{}, errs.Field(errs.InvalidArgument, "description", "a description is at most 8192 characters")
	}
	id := uuid.New()
	var info KeyInfo
	err := l.update(ctx, func(tx kv.Txn) error {
		if err := l.createTx(tx, id, in); err != nil {
			return err
		}
		r, err := getKeyTx(tx, id, "")
		info = r.info()
		return err
	})
	return info, err
}

// GetKey describes a key named by id, alias or ARN; a disabled key is
// described too (only its use is refused).
func (l *Local) GetKey(ctx context.Context, ref string) (KeyInfo, error) {
	id, alias, err := parseRef(ref)
	if err != nil {
		return KeyInfo{}, err
	}
	var info KeyInfo
	err = l.kv.View(ctx, func(tx kv.Reader) error {
		r, err := getKeyTx(tx, id, alias)
		info = r.info()
		return err
	})
	return info, errs.FromStorage(err, "kms key", kv.ErrConflict)
}

// ListKeys describes every key, the built-in one first, then by creation time.
func (l *Local) ListKeys(ctx context.Context) ([]KeyInfo, error) {
	var out []KeyInfo
	err := l.kv.View(ctx, func(tx kv.Reader) error {
		out = out[:0]
		p := []byte{ns, 'k'}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			r, err := decodeKey(it.Value())
			if err != nil {
				return err
			}
			out = append(out, r.info())
		}
		return it.Err()
	})
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].ID == DefaultKeyID) != (out[j].ID == DefaultKeyID) {
			return out[i].ID == DefaultKeyID
		}
		return out[i].Created.Before(out[j].Created)
	})
	return out, errs.FromStorage(err, "kms keys", kv.ErrConflict)
}

// MaxKeyVersions bounds a key's versions (all live in its one record).
const MaxKeyVersions = 1000

// RotateKey adds a new version to a key and makes it current: new data keys
// are sealed under it, old ones still open. A disabled key cannot rotate.
func (l *Local) RotateKey(ctx context.Context, ref string) (KeyInfo, error) {
	return l.modify(ctx, ref, func(r *keyRecord) error {
		if !r.Enabled {
			return errs.New(errs.KMSKeyNotFound, "KMS key %q is disabled", ref)
		}
		if len(r.Versions) >= MaxKeyVersions {
			return errs.New(errs.InvalidArgument, "KMS key %q has %d versions, the most a key may have: create a new key", ref, MaxKeyVersions)
		}
		v := r.Versions[len(r.Versions)-1].Version + 1
		r.Versions = append(r.Versions, keyVersion{Version: v, Created: l.now().UTC(), Wrapped: l.wrapVersion(r.ID, v, randomBytes(32))})
		r.Current = v
		return nil
	})
}

// SetKeyEnabled enables or disables a key. A disabled key neither seals nor
// opens data keys (objects under it cannot be read until it is enabled).
func (l *Local) SetKeyEnabled(ctx context.Context, ref string, enabled bool) (KeyInfo, error) {
	return l.modify(ctx, ref, func(r *keyRecord) error {
		if r.ID == DefaultKeyID && !enabled {
			return errs.New(errs.InvalidArgument, "the built-in key %q cannot be disabled", DefaultKeyID)
		}
		r.Enabled = enabled
		return nil
	})
}

func (l *Local) modify(ctx context.Context, ref string, fn func(r *keyRecord) error) (KeyInfo, error) {
	id, alias, err := parseRef(ref)
	if err != nil {
		return KeyInfo{}, err
	}
	var info KeyInfo
	err = l.update(ctx, func(tx kv.Txn) error {
		r, err := getKeyTx(tx, id, alias)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		info = r.info()
		return putKeyTx(tx, &r)
	})
	return info, err
}
