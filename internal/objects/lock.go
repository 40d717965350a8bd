package objects

// S3 Object Lock, enforced here, inside the transaction of every change it
// guards, so that no adapter, job or administrator path can skip it:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
//
//   - A bucket's lock state (enabled, default retention) is part of its
//     record (ObjectLockConfig). Once enabled it stays enabled, and the
//     bucket's versioning stays Enabled.
//   - A version's lock (retention mode and date, legal hold) is part of its
//     record (lockRecord). Each new version of a lock-enabled bucket gets
//     the retention its write asked for, else the bucket's default.
//   - A locked version (a legal hold ON, or a retention date in the future)
//     cannot be removed, nor replaced in place, by anyone: DeleteObject with
//     its version id, the retention and lifecycle jobs, and a forced bucket
//     deletion all go through deleteVersion, which refuses it with
//     AccessDenied (ErrObjectLocked). Only a Governance retention yields,
//     to a caller that says BypassGovernance (the S3 adapter sets it for a
//     request with x-amz-bypass-governance-retention: true whose principal
//     holds s3:BypassGovernanceRetention). Nothing yields to a Compliance
//     retention or a legal hold. Deleting a key without a version id only
//     adds a delete marker, which is always allowed.
//   - A retention can always be lengthened; shortening or removing it, or
//     changing its mode, needs BypassGovernance on a Governance retention
//     and is never possible on an unexpired Compliance one.

import (
	"context"
	"errors"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// LockMode is an Object Lock retention mode, spelled as S3 spells it.
type LockMode string

const (
	LockNone       LockMode = ""
	LockGovernance LockMode = "GOVERNANCE"
	LockCompliance LockMode = "COMPLIANCE"
)

// Valid reports whether m is GOVERNANCE or COMPLIANCE.
func (m LockMode) Valid() bool { return m == LockGovernance || m == LockCompliance }

// LegalHold is a version's legal hold status: "" (never set), ON or OFF.
type LegalHold string

const (
	LegalHoldUnset LegalHold = ""
	LegalHoldOn    LegalHold = "ON"
	LegalHoldOff   LegalHold = "OFF"
)

// Limits of a bucket's default retention. AWS documents no maximum; these
// keep retain-until dates within what every client can parse.
const (
	MaxDefaultRetentionDays  = 36500
	MaxDefaultRetentionYears = 100
)

// ErrObjectLocked is the cause of the AccessDenied an operation gets when
// Object Lock protects the version it would remove or replace
// (errors.Is(err, ErrObjectLocked)). Jobs use it to skip a locked version.
var ErrObjectLocked = errors.New("objects: the version is protected by Object Lock")

func errLocked() error {
	return &errs.Error{Kind: errs.AccessDenied, Msg: "Access Denied because object protected by object lock.", Err: ErrObjectLocked}
}

func errNoBucketLock() error {
	return errs.New(errs.InvalidRequest, "Bucket is missing Object Lock Configuration")
}

// ObjectLockConfig is a bucket's Object Lock configuration, stored in its
// record. DefaultMode "" means no default retention; otherwise exactly one
// of DefaultDays and DefaultYears is positive.
type ObjectLockConfig struct {
	Enabled      bool     `json:"on,omitempty"`
	DefaultMode  LockMode `json:"m,omitempty"`
	DefaultDays  int      `json:"d,omitempty"`
	DefaultYears int      `json:"y,omitempty"`
}

// HasDefaultRetention reports whether new versions get a retention without
// asking for one.
func (c ObjectLockConfig) HasDefaultRetention() bool { return c.Enabled && c.DefaultMode != LockNone }

// Validate applies AWS's rules for PutObjectLockConfiguration's rule.
func (c ObjectLockConfig) Validate() error {
	if !c.Enabled {
		return errs.New(errs.MalformedXML, "ObjectLockEnabled must be Enabled")
	}
	if c.DefaultMode == LockNone {
		if c.DefaultDays != 0 || c.DefaultYears != 0 {
			return errs.New(errs.MalformedXML, "A default retention needs a Mode")
		}
		return nil
	}
	if !c.DefaultMode.Valid() {
		return errs.Field(errs.MalformedXML, "Mode", "Unknown wormMode directive.")
	}
	switch {
	case c.DefaultDays != 0 && c.DefaultYears != 0:
		return errs.New(errs.MalformedXML, "A default retention has Days or Years, not both")
	case c.DefaultDays == 0 && c.DefaultYears == 0:
		return errs.New(errs.MalformedXML, "A default retention needs Days or Years")
	case c.DefaultDays < 0 || c.DefaultYears < 0:
		return errs.Field(errs.InvalidArgument, "DefaultRetention", "Default retention period must be a positive integer value")
	case c.DefaultDays > MaxDefaultRetentionDays || c.DefaultYears > MaxDefaultRetentionYears:
		return errs.Field(errs.InvalidArgument, "DefaultRetention",
			"Default retention period is too large (at most %d days or %d years)", MaxDefaultRetentionDays, MaxDefaultRetentionYears)
	}
	return nil
}

// defaultUntil is the retain-until date of a version created at t.
func (c ObjectLockConfig) defaultUntil(t time.Time) time.Time {
	if c.DefaultYears > 0 {
		return t.AddDate(c.DefaultYears, 0, 0)
	}
	return t.AddDate(0, 0, c.DefaultDays)
}

// LockSpec is the lock a write asks for (x-amz-object-lock-mode,
// -retain-until-date, -legal-hold). The zero value asks for nothing: the
// bucket's default retention applies.
type LockSpec struct {
	Mode        LockMode
	RetainUntil time.Time
	LegalHold   LegalHold
}

// IsZero reports whether the spec asks for nothing.
func (l LockSpec) IsZero() bool {
	return l.Mode == LockNone && l.RetainUntil.IsZero() && l.LegalHold == LegalHoldUnset
}

// validate checks a spec before a write: a mode needs a date in the future
// and the other way round, a legal hold is ON or OFF.
func (l LockSpec) validate(now time.Time) error {
	if (l.Mode == LockNone) != l.RetainUntil.IsZero() {
		return errs.New(errs.InvalidRequest, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	if l.Mode != LockNone && !l.Mode.Valid() {
		return errs.Field(errs.InvalidArgument, "x-amz-object-lock-mode", "Unknown wormMode directive.")
	}
	if l.Mode != LockNone && !l.RetainUntil.After(now) {
		return errs.Field(errs.InvalidArgument, "x-amz-object-lock-retain-until-date", "The retain until date must be in the future!")
	}
	if l.LegalHold != LegalHoldUnset && l.LegalHold != LegalHoldOn && l.LegalHold != LegalHoldOff {
		return errs.Field(errs.InvalidArgument, "x-amz-object-lock-legal-hold", "Legal Hold must be either of 'ON' or 'OFF'")
	}
	return nil
}

// LockInfo is a version's lock as S3 shows it; the zero value is none.
type LockInfo struct {
	Mode        LockMode
	RetainUntil time.Time // zero when Mode is none
	LegalHold   LegalHold
}

// Locked reports whether the version is protected at now.
func (l LockInfo) Locked(now time.Time) bool {
	return l.LegalHold == LegalHoldOn || l.Mode != LockNone && now.Before(l.RetainUntil)
}

// lockRecord is a version's lock (versionRecord.Lock), nil when it never had
// one. Until is the retain-until date in Unix milliseconds (S3 shows
// milliseconds).
type lockRecord struct {
	Mode  LockMode  `json:"m,omitempty"`
	Until int64     `json:"u,omitempty"`
	Hold  LegalHold `json:"h,omitempty"`
}

func (l *lockRecord) info() LockInfo {
	if l == nil {
		return LockInfo{}
	}
	out := LockInfo{Mode: l.Mode, LegalHold: l.Hold}
	if l.Mode != LockNone {
		out.RetainUntil = time.UnixMilli(l.Until).UTC()
	}
	return out
}

// retained reports an unexpired retention at now.
func (l *lockRecord) retained(now time.Time) bool {
	return l != nil && l.Mode != LockNone && now.UnixMilli() < l.Until
}

func (l *lockRecord) held() bool { return l != nil && l.Hold == LegalHoldOn }

// checkRemoval decides whether a version with lock l may be removed (or
// replaced in place) at now: a legal hold never yields, a Compliance
// retention never, a Governance retention only to bypass.
func checkRemoval(l *lockRecord, now time.Time, bypass bool) error {
	if l.held() {
		return errLocked()
	}
	if l.retained(now) && (l.Mode == LockCompliance || !bypass) {
		return errLocked()
	}
	return nil
}

// checkRetentionChange decides whether a version's retention may become
// (mode, until) at now; mode "" removes it. An expired retention may become
// anything; an unexpired one may always be lengthened in the same mode,
// and, in Governance with bypass, changed in any way. An unexpired
// Compliance retention can never be shortened, removed or downgraded.
func checkRetentionChange(old *lockRecord, mode LockMode, until time.Time, now time.Time, bypass bool) error {
	if !old.retained(now) {
		return nil
	}
	if mode == old.Mode && until.UnixMilli() >= old.Until {
		return nil
	}
	if old.Mode == LockGovernance && bypass {
		return nil
	}
	return errLocked()
}

// newVersionLock is the lock of a new version in bucket b: the write's
// retention, else the bucket's default (from the version's creation time),
// plus the write's legal hold.
func newVersionLock(b *bucketRecord, spec LockSpec, created time.Time) (*lockRecord, error) {
	cfg := b.lockConfig()
	if !spec.IsZero() && !cfg.Enabled {
		return nil, errNoBucketLock()
	}
	if !cfg.Enabled {
		return nil, nil
	}
	var l lockRecord
	switch {
	case spec.Mode != LockNone:
		l.Mode, l.Until = spec.Mode, spec.RetainUntil.UnixMilli()
	case cfg.DefaultMode != LockNone:
		l.Mode, l.Until = cfg.DefaultMode, cfg.defaultUntil(created).UnixMilli()
	}
	l.Hold = spec.LegalHold
	if l == (lockRecord{}) {
		return nil, nil
	}
	return &l, nil
}

func (b *bucketRecord) lockConfig() ObjectLockConfig {
	if b.Lock == nil {
		return ObjectLockConfig{}
	}
	return *b.Lock
}

// setLockConfig applies a new Object Lock configuration to a bucket record:
// enabling needs versioning Enabled (AWS allows enabling on an existing
// bucket); lock can never be disabled.
func setLockConfig(b *bucketRecord, cfg ObjectLockConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if b.Lock == nil && b.Versioning != VersioningEnabled {
		return errs.New(errs.InvalidBucketState, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
	}
	c := cfg
	b.Lock = &c
	return nil
}

// checkVersioningChange refuses to suspend versioning under Object Lock.
func checkVersioningChange(b *bucketRecord, state VersioningState) error {
	if b.Lock != nil && b.Lock.Enabled && state != VersioningEnabled {
		return errs.New(errs.InvalidBucketState, "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
	}
	return nil
}

// PutObjectLockConfig sets a bucket's Object Lock configuration (S3
// PutObjectLockConfiguration; the management planes' retention settings):
// it enables Object Lock on a versioned bucket, and sets or removes (mode
// "") its default retention. The default applies to versions written
// afterwards; existing versions keep their retention.
func (s *Service) PutObjectLockConfig(ctx context.Context, tenant, bucket string, cfg ObjectLockConfig) error {
	return s.update(ctx, "PutObjectLockConfig", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if err := setLockConfig(b, cfg); err != nil {
			return err
		}
		return tx.Set(bucketKey(tenant, bucket), marshal(b))
	})
}

// GetObjectLockConfig returns a bucket's Object Lock configuration
// (ObjectLockConfigurationNotFound when lock is not enabled).
func (s *Service) GetObjectLockConfig(ctx context.Context, tenant, bucket string) (ObjectLockConfig, error) {
	var cfg ObjectLockConfig
	err := s.view(ctx, "GetObjectLockConfig", func(tx kv.Reader) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		cfg = b.lockConfig()
		if !cfg.Enabled {
			return errs.New(errs.ObjectLockConfigurationNotFound, "Object Lock configuration does not exist for this bucket")
		}
		return nil
	})
	return cfg, err
}

// PutRetentionInput changes a version's retention (S3 PutObjectRetention).
type PutRetentionInput struct {
	Tenant, Bucket, Key string
	VersionID           string // "" = latest
	// Mode and RetainUntil are the new retention; Mode "" removes it.
	Mode        LockMode
	RetainUntil time.Time
	// BypassGovernance lets a Governance retention be shortened, removed or
	// changed: the caller asked to bypass and holds the permission.
	BypassGovernance bool
}

// PutObjectRetention sets, lengthens, shortens or removes a version's
// retention under the rules of checkRetentionChange, in one transaction,
// and returns the version id.
func (s *Service) PutObjectRetention(ctx context.Context, in PutRetentionInput) (string, error) {
	if in.Mode != LockNone {
		if !in.Mode.Valid() {
			return "", errs.Field(errs.MalformedXML, "Mode", "Unknown wormMode directive.")
		}
		if !in.RetainUntil.After(s.opts.Now()) {
			return "", errs.Field(errs.InvalidArgument, "RetainUntilDate", "The retain until date must be in the future!")
		}
	} else if !in.RetainUntil.IsZero() {
		return "", errs.New(errs.MalformedXML, "A RetainUntilDate needs a Mode")
	}
	return s.updateLock(ctx, "PutObjectRetention", in.Tenant, in.Bucket, in.Key, in.VersionID, func(v *versionRecord) error {
		if err := checkRetentionChange(v.Lock, in.Mode, in.RetainUntil, s.opts.Now(), in.BypassGovernance); err != nil {
			return err
		}
		l := lockRecord{}
		if v.Lock != nil {
			l = *v.Lock
		}
		l.Mode, l.Until = in.Mode, 0
		if in.Mode != LockNone {
			l.Until = in.RetainUntil.UnixMilli()
		}
		v.Lock = &l
		if l == (lockRecord{}) {
			v.Lock = nil
		}
		return nil
	})
}

// PutObjectLegalHold sets a version's legal hold ON or OFF (anyone allowed
// to call it may; it is independent of retention) and returns the version id.
func (s *Service) PutObjectLegalHold(ctx context.Context, tenant, bucket, key, versionID string, hold LegalHold) (string, error) {
	if hold != LegalHoldOn && hold != LegalHoldOff {
		return "", errs.Field(errs.MalformedXML, "Status", "Legal Hold must be either of 'ON' or 'OFF'")
	}
	return s.updateLock(ctx, "PutObjectLegalHold", tenant, bucket, key, versionID, func(v *versionRecord) error {
		l := lockRecord{}
		if v.Lock != nil {
			l = *v.Lock
		}
		l.Hold = hold
		v.Lock = &l
		return nil
	})
}

// updateLock changes the lock of one version in place, in a lock-enabled
// bucket, in one transaction.
func (s *Service) updateLock(ctx context.Context, what, tenant, bucket, key, versionID string, change func(v *versionRecord) error) (string, error) {
	if err := validateKey(key); err != nil {
		return "", err
	}
	var vid string
	err := s.update(ctx, what, func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if !b.lockConfig().Enabled {
			return errNoBucketLock()
		}
		v, latest, err := lookup(tx, b, key, versionID, true)
		if err != nil {
			return err
		}
		if v.isDM() {
			return errs.Field(errs.MethodNotAllowed, "versionId", "The specified method is not allowed against this resource.")
		}
		if err := change(v); err != nil {
			return err
		}
		vid = v.versionID()
		if latest {
			return tx.Set(currentKey(b.ID, key), v.encode())
		}
		return tx.Set(versionKey(b.ID, key, v.Seq), v.encode())
	})
	return vid, err
}

// GetObjectLock returns a version's lock and its version id. In a bucket
// without Object Lock it fails with InvalidRequest, as S3's
// GetObjectRetention and GetObjectLegalHold do.
func (s *Service) GetObjectLock(ctx context.Context, tenant, bucket, key, versionID string) (LockInfo, string, error) {
	if err := validateKey(key); err != nil {
		return LockInfo{}, "", err
	}
	v, b, _, err := s.readVersion(ctx, tenant, bucket, key, versionID, false)
	if err != nil {
		var dm *DeleteMarkerError
		if errors.As(err, &dm) {
			return LockInfo{}, "", errs.Field(errs.MethodNotAllowed, "versionId", "The specified method is not allowed against this resource.")
		}
		return LockInfo{}, "", err
	}
	if !b.lockConfig().Enabled {
		return LockInfo{}, "", errNoBucketLock()
	}
	return v.Lock.info(), v.versionID(), nil
}

// HasLockedVersions reports whether any version of a bucket is locked now
// (the management planes refuse a forced deletion up front with it; the
// deletes themselves are refused anyway).
func (s *Service) HasLockedVersions(ctx context.Context, tenant, bucket string) (bool, error) {
	found := false
	err := s.view(ctx, "HasLockedVersions", func(tx kv.Reader) error {
		found = false
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if !b.lockConfig().Enabled {
			return nil
		}
		now := s.opts.Now()
		for _, ns := range []byte{nsCurrent, nsVersion} {
			p := bidPrefix(ns, b.ID)
			it := tx.NewIterator(p, kv.PrefixEnd(p))
			for ok := it.First(); ok; ok = it.Next() {
				if recordFlags(it.Value())&flagDeleteMarker != 0 {
					continue
				}
				v, err := decodeVersion(it.Value(), false)
				if err != nil {
					it.Close()
					return err
				}
				if v.Lock.info().Locked(now) {
					found = true
					break
				}
			}
			err := it.Err()
			it.Close()
			if err != nil || found {
				return err
			}
		}
		return nil
	})
	return found, err
}
