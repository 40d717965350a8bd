package core

import (
	"context"
	"strconv"
	"strings"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// A bucket's retention, in the management plane's words (ONTAP's
// retention.mode and retention.default_period; Commvault's WORM storage
// lock), over the object layer's Object Lock configuration:
//
//   - mode none: Object Lock disabled (ONTAP no_lock);
//   - mode governance or compliance: Object Lock enabled (and versioning
//     Enabled for good); with a period, new versions get that default
//     retention in that mode (objects.ObjectLockConfig.DefaultMode and
//     DefaultDays or DefaultYears); without one they get only what the
//     writer asks for.
//
// Rules (written once here, both dialects call them):
//
//   - locking is chosen when the bucket is created; it is never turned on
//     (ReasonRetentionModeImmutable) or off afterwards through this model,
//     and the mode never changes;
//   - a period needs a locking mode (ReasonRetentionPeriodNoMode);
//   - a period is "P<n>D" or "P<n>Y", one element only, 1..36500 days or
//     1..100 years (ReasonRetentionPeriodInvalid);
//   - a period lies within the S3 service's min_lock_retention_period and
//     max_lock_retention_period when those are set
//     (ReasonRetentionBelowMin, ReasonRetentionAboveMax);
//   - the period may be changed (or removed) later: it applies to versions
//     written afterwards, as S3's PutObjectLockConfiguration does.
//
// The mode of a locked bucket without a default retention is not part of
// S3's configuration; the core keeps it in the bucket's configuration
// lockModeConfig. A bucket whose lock was enabled through S3 without a
// default retention shows mode governance.

// RetentionMode is a bucket's locking mode.
type RetentionMode string

// Retention modes.
const (
	RetentionNone       RetentionMode = "none"
	RetentionGovernance RetentionMode = "governance"
	RetentionCompliance RetentionMode = "compliance"
)

// Locked reports whether the mode enables Object Lock.
func (m RetentionMode) Locked() bool { return m == RetentionGovernance || m == RetentionCompliance }

func (m RetentionMode) objects() objects.LockMode {
	switch m {
	case RetentionGovernance:
		return objects.LockGovernance
	case RetentionCompliance:
		return objects.LockCompliance
	}
	return objects.LockNone
}

// Retention reasons (Kind InvalidArgument).
const (
	ReasonRetentionModeInvalid   Reason = "retention.mode_invalid"   // 262197
	ReasonRetentionModeImmutable Reason = "retention.mode_immutable" // 2 (mode set at creation only)
	ReasonRetentionPeriodInvalid Reason = "retention.period_invalid" // 262197
	ReasonRetentionPeriodNoMode  Reason = "retention.period_no_mode" // 92406165
	ReasonRetentionAboveMax      Reason = "retention.above_max"      // 92406230
	ReasonRetentionBelowMin      Reason = "retention.below_min"      // 92406236
	ReasonRetentionVersioning    Reason = "retention.versioning"     // 2 (lock needs versioning enabled)
)

// ParseRetentionMode reads a mode: "none" or ONTAP's "no_lock" (or "")
// for none, "governance", "compliance"; case is ignored.
func ParseRetentionMode(s string) (RetentionMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "no_lock":
		return RetentionNone, nil
	case "governance":
		return RetentionGovernance, nil
	case "compliance":
		return RetentionCompliance, nil
	}
	return "", fail(errs.InvalidArgument, ReasonRetentionModeInvalid, "retention.mode",
		"The retention mode %q is not valid: use no_lock, governance or compliance.", s)
}

// RetentionPeriod is a default retention: Days or Years (at most one is
// non-zero; both zero: none).
type RetentionPeriod struct {
	Days  int
	Years int
}

// IsZero reports whether there is no period.
func (p RetentionPeriod) IsZero() bool { return p.Days == 0 && p.Years == 0 }

// String renders the period as ONTAP does ("P30D", "P1Y"; "" for none).
func (p RetentionPeriod) String() string {
	switch {
	case p.Years > 0:
		return "P" + strconv.Itoa(p.Years) + "Y"
	case p.Days > 0:
		return "P" + strconv.Itoa(p.Days) + "D"
	}
	return ""
}

// approxDays is the period in days (a year counts 365), for comparisons.
func (p RetentionPeriod) approxDays() int { return p.Days + 365*p.Years }

// ParseRetentionPeriod reads an ISO-8601 duration of exactly one element,
// years or days ("P10Y", "P30D"; the letters in any case). "", "0", "none"
// and a zero count ("P0D") mean no period. Mixed forms such as "P1Y10D",
// weeks, months and times are refused, as ONTAP refuses them.
func ParseRetentionPeriod(s string) (RetentionPeriod, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	switch t {
	case "", "0", "NONE":
		return RetentionPeriod{}, nil
	}
	bad := func() (RetentionPeriod, error) {
		return RetentionPeriod{}, fail(errs.InvalidArgument, ReasonRetentionPeriodInvalid, "retention.default_period",
			"The retention period %q is not valid: use an ISO-8601 duration of years or days only, such as \"P10Y\" or \"P30D\".", s)
	}
	if len(t) < 3 || t[0] != 'P' {
		return bad()
	}
	unit := t[len(t)-1]
	digits := t[1 : len(t)-1]
	if len(digits) == 0 || len(digits) > 6 {
		return bad()
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return bad()
		}
	}
	n, _ := strconv.Atoi(digits)
	var p RetentionPeriod
	switch unit {
	case 'D':
		p.Days = n
	case 'Y':
		p.Years = n
	default:
		return bad()
	}
	if p.Days > objects.MaxDefaultRetentionDays || p.Years > objects.MaxDefaultRetentionYears {
		return RetentionPeriod{}, fail(errs.InvalidArgument, ReasonRetentionPeriodInvalid, "retention.default_period",
			"The retention period %q is too long: at most %d days or %d years.", s,
			objects.MaxDefaultRetentionDays, objects.MaxDefaultRetentionYears)
	}
	return p, nil
}

// BucketRetention is a bucket's locking mode and default retention.
type BucketRetention struct {
	Mode   RetentionMode
	Period RetentionPeriod
}

// RetentionPatch changes a bucket's retention; nil fields stay. Mode may
// only repeat the current mode.
type RetentionPatch struct {
	Mode   *RetentionMode
	Period *RetentionPeriod
}

// lockModeConfig is the bucket configuration (objects.BucketInfo.Configs)
// holding the mode of a locked bucket, for when it has no default
// retention.
const lockModeConfig = "coffer.lockMode"

// retentionFromInfo reads a bucket's retention from its Object Lock
// configuration.
func retentionFromInfo(b objects.BucketInfo) BucketRetention {
	c := b.ObjectLock
	if !c.Enabled {
		return BucketRetention{Mode: RetentionNone}
	}
	r := BucketRetention{Mode: RetentionGovernance}
	switch c.DefaultMode {
	case objects.LockCompliance:
		r.Mode = RetentionCompliance
	case objects.LockGovernance:
		r.Mode = RetentionGovernance
	default:
		if m, err := ParseRetentionMode(string(b.Configs[lockModeConfig])); err == nil && m.Locked() {
			r.Mode = m
		}
	}
	if c.DefaultMode != objects.LockNone {
		r.Period = RetentionPeriod{Days: c.DefaultDays, Years: c.DefaultYears}
	}
	return r
}

// lockConfig is the Object Lock configuration of a locked mode and period.
func lockConfig(mode RetentionMode, p RetentionPeriod) objects.ObjectLockConfig {
	cfg := objects.ObjectLockConfig{Enabled: true}
	if !p.IsZero() {
		cfg.DefaultMode, cfg.DefaultDays, cfg.DefaultYears = mode.objects(), p.Days, p.Years
	}
	return cfg
}

// checkRetention applies the rules to a retention a bucket is created
// with, or to the period a locked bucket is given, against the tenant's S3
// service bounds.
func (s *Service) checkRetention(ctx context.Context, tenant string, r BucketRetention) error {
	switch r.Mode {
	case RetentionNone, RetentionGovernance, RetentionCompliance:
	case "":
		r.Mode = RetentionNone
	default:
		_, err := ParseRetentionMode(string(r.Mode))
		return err
	}
	if r.Period.Days < 0 || r.Period.Years < 0 || r.Period.Days > 0 && r.Period.Years > 0 {
		return fail(errs.InvalidArgument, ReasonRetentionPeriodInvalid, "retention.default_period",
			"A retention period has days or years, not both, and is not negative.")
	}
	if r.Period.IsZero() {
		return nil
	}
	if !r.Mode.Locked() {
		return fail(errs.InvalidArgument, ReasonRetentionPeriodNoMode, "retention.default_period",
			`A default retention period can be set only when "retention.mode" is "compliance" or "governance".`)
	}
	if err := lockConfig(r.Mode, r.Period).Validate(); err != nil {
		return fail(errs.InvalidArgument, ReasonRetentionPeriodInvalid, "retention.default_period", "%s", errs.Message(err))
	}
	svc, err := s.GetS3Service(ctx, tenant)
	if errs.KindOf(err) == errs.NotFound {
		return nil
	} else if err != nil {
		return err
	}
	if max, err := ParseRetentionPeriod(svc.MaxLockRetention); err == nil && !max.IsZero() && r.Period.approxDays() > max.approxDays() {
		return fail(errs.InvalidArgument, ReasonRetentionAboveMax, "retention.default_period",
			"The default retention period %s is longer than the S3 server's maximum lock retention period %s.", r.Period, max)
	}
	if min, err := ParseRetentionPeriod(svc.MinLockRetention); err == nil && !min.IsZero() && r.Period.approxDays() < min.approxDays() {
		return fail(errs.InvalidArgument, ReasonRetentionBelowMin, "retention.default_period",
			"The default retention period %s is shorter than the S3 server's minimum lock retention period %s.", r.Period, min)
	}
	return nil
}

// retentionUpdate turns a patch of a bucket's retention into the Object
// Lock configuration to set (nil: nothing changes).
func (s *Service) retentionUpdate(ctx context.Context, cur Bucket, p RetentionPatch) (*objects.ObjectLockConfig, error) {
	if p.Mode != nil {
		m, err := ParseRetentionMode(string(*p.Mode))
		if err != nil {
			return nil, err
		}
		if m != cur.Retention.Mode {
			if !cur.Retention.Mode.Locked() {
				return nil, fail(errs.InvalidArgument, ReasonRetentionModeImmutable, "retention.mode",
					"Object locking can be enabled only when the bucket is created.")
			}
			return nil, fail(errs.InvalidArgument, ReasonRetentionModeImmutable, "retention.mode",
				"The retention mode of bucket %q is %s; it is chosen when the bucket is created and cannot be modified.",
				cur.Name, cur.Retention.Mode)
		}
	}
	if p.Period == nil {
		return nil, nil
	}
	r := BucketRetention{Mode: cur.Retention.Mode, Period: *p.Period}
	if err := s.checkRetention(ctx, cur.Tenant, r); err != nil {
		return nil, err
	}
	if !r.Mode.Locked() {
		return nil, nil // no period on an unlocked bucket: nothing to do
	}
	cfg := lockConfig(r.Mode, r.Period)
	return &cfg, nil
}

// CheckBucketRetention applies the retention rules to a bucket about to be
// created, so that an adapter can answer before starting a job.
func (s *Service) CheckBucketRetention(ctx context.Context, tenant string, r BucketRetention) error {
	if r.Mode == "" {
		r.Mode = RetentionNone
	}
	return s.checkRetention(ctx, tenant, r)
}

// CheckRetentionPatch applies the retention rules to a patch of bucket b,
// so that an adapter can answer before starting a job.
func (s *Service) CheckRetentionPatch(ctx context.Context, b Bucket, p RetentionPatch) error {
	_, err := s.retentionUpdate(ctx, b, p)
	return err
}
