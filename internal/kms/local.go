package kms

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Options configures the built-in KMS.
type Options struct {
	// KV is the metadata store holding the named keys (wrapped).
	KV kv.Store
	// MasterKey is the master key's text form (COFFER_KMS_MASTER_KEY: 64 hex
	// digits or 44 base64 characters). Exclusive with MasterKeyFile.
	MasterKey string
	// MasterKeyFile is the file holding the master key in the same text
	// form. When it does not exist and the store was never keyed, it is
	// created (mode 0600) with a new random key; when the store was keyed,
	// its absence is an error.
	MasterKeyFile string
	// CacheSize bounds how many named keys (with their unwrapped versions)
	// are kept in memory. Default 1024.
	CacheSize int
	// CacheTTL bounds how long a cached key is used before it is read
	// again, so that a change made by another node sharing the store (a
	// disable) takes effect within it. Changes made through this node take
	// effect at once. Default 30 s.
	CacheTTL time.Duration
	// Logger is the structured log. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var problems []error
	if o.KV == nil {
		problems = append(problems, errors.New("kms: a metadata store is required"))
	}
	switch {
	case o.MasterKey != "" && o.MasterKeyFile != "":
		problems = append(problems, errors.New("kms: give the master key either as a file or in the environment, not both"))
	case o.MasterKey == "" && o.MasterKeyFile == "":
		problems = append(problems, errors.New("kms: a master key (file or environment) is required"))
	case o.MasterKey != "":
		if _, err := ParseMasterKey(o.MasterKey); err != nil {
			problems = append(problems, fmt.Errorf("COFFER_KMS_MASTER_KEY: %w", err))
		}
	}
	if o.CacheSize < 0 || o.CacheTTL < 0 {
		problems = append(problems, errors.New("kms: cache size and TTL must not be negative"))
	}
	return errors.Join(problems...)
}

// ErrWrongMasterKey is returned by Open when the master key is not the one
// that keyed the store.
var ErrWrongMasterKey = errors.New("kms: the master key does not match the one this data directory was created with")

// ErrInvalidCiphertext is the cause (under errs.Internal) when a sealed
// value does not open: it was altered, or is given with another key id,
// context or access key than it was sealed with.
var ErrInvalidCiphertext = errors.New("kms: sealed value does not open (altered, or wrong key id or context)")

// Local is Coffer's built-in KMS: named keys wrapped in kv under a master
// key that never leaves memory. It implements Service and the core's
// secret sealer. Safe for concurrent use.
type Local struct {
	kv        kv.Store
	log       *slog.Logger
	now       func() time.Time
	wrap      cipher.AEAD // seals named key versions
	secrets   *SecretBox  // seals S3 secret keys
	cacheSize int
	cacheTTL  time.Duration

	mu    sync.Mutex
	gen   uint64               // bumped by every local change to a key record
	cache map[string]*keyEntry // by canonical id
}

// keyEntry is a cached named key: its record and the versions unwrapped so far.
type keyEntry struct {
	rec    keyRecord
	raw    map[uint32][]byte // version → unwrapped key
	loaded time.Time
}

var _ Service = (*Local)(nil)

// OpenResult says what Open did.
type OpenResult struct {
	// GeneratedKeyFile is the master key file Open created ("" when none).
	GeneratedKeyFile string
}

// Open loads the master key, checks it against the store (keying a fresh
// store) and makes sure the built-in DefaultKeyID exists.
func Open(ctx context.Context, o Options) (*Local, OpenResult, error) {
	var res OpenResult
	if err := o.Validate(); err != nil {
		return nil, res, err
	}
	if o.CacheSize == 0 {
		o.CacheSize = 1024
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var keyed bool
	err := o.KV.View(ctx, func(tx kv.Reader) error {
		_, err := tx.Get(checkKey())
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		keyed = err == nil
		return err
	})
	if err != nil {
		return nil, res, fmt.Errorf("kms: %w", err)
	}
	var master []byte
	source := "the file " + o.MasterKeyFile
	switch {
	case o.MasterKey != "":
		source = "COFFER_KMS_MASTER_KEY"
		master, err = ParseMasterKey(o.MasterKey)
	default:
		master, err = ReadMasterKeyFile(o.MasterKeyFile)
		if fi, serr := os.Stat(o.MasterKeyFile); err == nil && serr == nil && fi.Mode().Perm()&0o077 != 0 {
			o.Logger.Warn("the KMS master key file is readable by other users than its owner: make it mode 0600",
				"master_key_file", o.MasterKeyFile, "mode", fi.Mode().Perm().String())
		}
		if errors.Is(err, fs.ErrNotExist) {
			if keyed {
				return nil, res, fmt.Errorf("kms: master key file %s does not exist, but this data directory's keys were sealed with a master key: restore the file from its backup (or set COFFER_KMS_MASTER_KEY)", o.MasterKeyFile)
			}
			master, err = WriteMasterKeyFile(o.MasterKeyFile)
			if err == nil {
				res.GeneratedKeyFile = o.MasterKeyFile
				o.Logger.Warn("GENERATED A NEW KMS MASTER KEY: back this file up now and keep it apart from the data directory; without it encrypted objects and S3 secret keys cannot be read",
					"master_key_file", o.MasterKeyFile)
			}
		}
	}
	if err != nil {
		return nil, res, fmt.Errorf("kms: %w", err)
	}
	l := &Local{kv: o.KV, log: o.Logger, now: o.Now, cacheSize: o.CacheSize, cacheTTL: o.CacheTTL, cache: map[string]*keyEntry{}}
	if l.wrap, err = newGCM(derive(master, purposeWrap)); err != nil {
		return nil, res, err
	}
	if l.secrets, err = NewSecretBox(master); err != nil {
		return nil, res, err
	}
	check := checkValue(master)
	clear(master)
	err = o.KV.Update(ctx, func(tx kv.Txn) error {
		b, err := tx.Get(checkKey())
		switch {
		case err == nil:
			rec, err := decodeCheck(b)
			if err != nil {
				return err
			}
			if subtle.ConstantTimeCompare(rec.Check, check) != 1 {
				return ErrWrongMasterKey
			}
		case errors.Is(err, kv.ErrNotFound):
			b, err := json.Marshal(checkRecord{Schema: checkSchema, Check: check, Created: l.now().UTC()})
			if err != nil {
				return err
			}
			if err := tx.Set(checkKey(), b); err != nil {
				return err
			}
		default:
			return err
		}
		_, err = tx.Get(keyRecKey(DefaultKeyID))
		if errors.Is(err, kv.ErrNotFound) {
			return l.createTx(tx, DefaultKeyID, CreateKeyInput{Description: "built-in key for SSE-S3 and SSE-KMS without a key id"})
		}
		return err
	})
	if err != nil {
		if errors.Is(err, ErrWrongMasterKey) {
			return nil, res, fmt.Errorf("%w (the key came from %s)", err, source)
		}
		return nil, res, fmt.Errorf("kms: keying the store: %w", err)
	}
	return l, res, nil
}

func checkValue(master []byte) []byte {
	m := hmac.New(sha256.New, derive(master, purposeCheck))
	m.Write([]byte("coffer master key check"))
	return m.Sum(nil)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}

// entry returns the named key ref (id, alias or ARN), from the cache or kv.
// A missing or disabled key is errs.KMSKeyNotFound.
// fresh skips the cache (and replaces what it holds).
func (l *Local) entry(ctx context.Context, ref string, fresh bool) (*keyEntry, error) {
	id, alias, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	if id != "" && !fresh {
		l.mu.Lock()
		e := l.cache[id]
		l.mu.Unlock()
		if e != nil && l.now().Sub(e.loaded) < l.cacheTTL {
			return e, usable(e, ref)
		}
	}
	l.mu.Lock()
	gen := l.gen
	l.mu.Unlock()
	var rec keyRecord
	err = l.kv.View(ctx, func(tx kv.Reader) error {
		var err error
		rec, err = getKeyTx(tx, id, alias)
		return err
	})
	if err != nil {
		return nil, errs.FromStorage(err, "kms key", kv.ErrConflict)
	}
	e := &keyEntry{rec: rec, raw: map[uint32][]byte{}, loaded: l.now()}
	l.mu.Lock()
	if l.gen == gen {
		if old := l.cache[rec.ID]; old != nil && !fresh && l.now().Sub(old.loaded) < l.cacheTTL {
			e = old
		} else {
			if len(l.cache) >= l.cacheSize {
				for k := range l.cache { // evict an arbitrary entry
					delete(l.cache, k)
					break
				}
			}
			l.cache[rec.ID] = e
		}
	}
	l.mu.Unlock()
	return e, usable(e, ref)
}

func usable(e *keyEntry, ref string) error {
	if !e.rec.Enabled {
		return errs.New(errs.KMSKeyNotFound, "KMS key %q is disabled", ref)
	}
	return nil
}

// versionKey returns the unwrapped key of version v of e.
func (l *Local) versionKey(e *keyEntry, v uint32) ([]byte, error) {
	l.mu.Lock()
	k := e.raw[v]
	l.mu.Unlock()
	if k != nil {
		return k, nil
	}
	kv, ok := e.rec.version(v)
	if !ok {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "KMS key %q has no version %d", e.rec.ID, v)
	}
	k, err := l.unwrap(e.rec.ID, kv)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	e.raw[v] = k
	l.mu.Unlock()
	return k, nil
}

func wrapAD(id string, v uint32) []byte {
	ad := append([]byte("coffer key version v1\x00"), id...)
	return append(ad, 0, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func (l *Local) wrapVersion(id string, v uint32, key []byte) []byte {
	nonce := randomBytes(l.wrap.NonceSize())
	return l.wrap.Seal(nonce, nonce, key, wrapAD(id, v))
}

func (l *Local) unwrap(id string, kv keyVersion) ([]byte, error) {
	n := l.wrap.NonceSize()
	if len(kv.Wrapped) < n {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "KMS key %q version %d: wrapped key too short", id, kv.Version)
	}
	k, err := l.wrap.Open(nil, kv.Wrapped[:n], kv.Wrapped[n:], wrapAD(id, kv.Version))
	if err != nil {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "KMS key %q version %d does not unwrap", id, kv.Version)
	}
	return k, nil
}

// changed drops every cached key after a local change to key records.
func (l *Local) changed() {
	l.mu.Lock()
	l.gen++
	clear(l.cache)
	l.mu.Unlock()
}
