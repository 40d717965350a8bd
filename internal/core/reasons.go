package core

import (
	"coffer/internal/errs"
)

// Reason is a stable code that tells apart rule violations sharing one
// errs.Kind (errs.Reason: the type is shared with the domain packages split
// out of the core, such as internal/lease). It sits in the Err chain of the
// *errs.Error the core returns, so adapters test it with
// errors.Is(err, core.ReasonUserNameChars) or read it with ReasonOf(err).
//
// The table below is the one place the core's reasons are documented. The
// ONTAP column is the code the ONTAP adapter is expected to answer (its own
// table decides); "-" means a generic code by Kind (1 duplicate, 2 bad
// field, 4 not found).
type Reason = errs.Reason

// ReasonOf returns the Reason in err's chain, or "".
func ReasonOf(err error) Reason { return errs.ReasonOf(err) }

// The reasons, by entity.               Kind              ONTAP
const (
	// Tenants.
	ReasonTenantNotFound    Reason = "tenant.not_found"     // NotFound          4 (target svm.uuid)
	ReasonTenantExists      Reason = "tenant.exists"        // AlreadyExists     1
	ReasonTenantNameInvalid Reason = "tenant.name_invalid"  // InvalidArgument   2
	ReasonTenantInUse       Reason = "tenant.in_use"        // InUse             - (has an S3 service or buckets)
	ReasonNotDataTenant     Reason = "tenant.not_data"      // InvalidArgument   92405817 users, 92405884 service, 92405858 buckets/groups/policies
	ReasonTenantStateBad    Reason = "tenant.state_invalid" // InvalidArgument   2
	ReasonTenantSettingBad  Reason = "tenant.bad_setting"   // InvalidArgument   2 (language, snapshot policy, max volumes, ipspace, aggregates)

	// S3 services.
	ReasonNoS3Service       Reason = "s3service.missing"      // NotFound          92405773
	ReasonS3ServiceExists   Reason = "s3service.exists"       // AlreadyExists     1
	ReasonServiceNameLength Reason = "s3service.name_length"  // InvalidArgument   92405790
	ReasonServiceNameChars  Reason = "s3service.name_chars"   // InvalidArgument   92405789
	ReasonServicePort       Reason = "s3service.port_invalid" // InvalidArgument   2
	ReasonServiceDisabled   Reason = "s3service.disabled"     // ServiceDisabled   - (S3 AccessDenied: service disabled or tenant not running)
	ReasonDuration          Reason = "duration.invalid"       // InvalidArgument   2 (a negative or malformed duration)

	// Users and keys.
	ReasonUserNotFound      Reason = "user.not_found"         // NotFound          4
	ReasonUserExists        Reason = "user.exists"            // AlreadyExists     1
	ReasonUserNameLength    Reason = "user.name_length"       // InvalidArgument   92405788
	ReasonUserNameChars     Reason = "user.name_chars"        // InvalidArgument   92405787
	ReasonRootUser          Reason = "user.root_protected"    // InvalidArgument   - (root cannot be deleted)
	ReasonUserInGroup       Reason = "user.in_group"          // InUse             92406308 (deleting keys of a group member)
	ReasonKeyGeneration     Reason = "key.generation_failed"  // Internal          92405791 (create) / 92405792 (regenerate)
	ReasonKeyPairIncomplete Reason = "key.pair_incomplete"    // InvalidArgument   92406201 (secret without access key)
	ReasonAccessKeyExists   Reason = "key.access_key_exists"  // AlreadyExists     92406200
	ReasonAccessKeyInvalid  Reason = "key.access_key_invalid" // InvalidArgument   92406205
	ReasonSecretKeyInvalid  Reason = "key.secret_key_invalid" // InvalidArgument   2
	ReasonKeyTTLTooLong     Reason = "key.ttl_too_long"       // InvalidArgument   92406083 (> 1095 days)
	ReasonKeyTTLAboveMax    Reason = "key.ttl_above_max"      // InvalidArgument   92406196 (> service max_key_time_to_live)
	ReasonKeyTTLRequired    Reason = "key.ttl_required"       // InvalidArgument   92406197 (0 while the service sets a max)
	ReasonKeySlotInvalid    Reason = "key.slot_invalid"       // InvalidArgument   2 (key_id outside 1..MaxKeysPerUser)
	ReasonKeyNotFound       Reason = "key.not_found"          // NotFound          4
	ReasonTooManyKeys       Reason = "key.too_many"           // InvalidArgument   2
	ReasonCommentTooLong    Reason = "comment.too_long"       // InvalidArgument   2 (> 256 characters)
	ReasonKeyStatusInvalid  Reason = "key.status_invalid"     // InvalidArgument   2
	ReasonPasswordTooShort  Reason = "admin.password_short"   // InvalidArgument   2
	ReasonAdminNotFound     Reason = "admin.not_found"        // NotFound          4
	ReasonAdminExists       Reason = "admin.exists"           // AlreadyExists     1
	ReasonAdminNameInvalid  Reason = "admin.name_invalid"     // InvalidArgument   2
	ReasonAdminLastAccount  Reason = "admin.last_account"     // InUse             - (the last admin cannot be deleted)
	ReasonBadCredentials    Reason = "admin.bad_credentials"  // Unauthenticated   401

	// Groups.
	ReasonGroupNotFound       Reason = "group.not_found"        // NotFound          4
	ReasonGroupExists         Reason = "group.exists"           // AlreadyExists     92405942
	ReasonGroupNameLength     Reason = "group.name_length"      // InvalidArgument   92405930
	ReasonGroupNameChars      Reason = "group.name_chars"       // InvalidArgument   92405931
	ReasonGroupUsersEmpty     Reason = "group.users_empty"      // InvalidArgument   92406207 (create) / 92405896 (modify)
	ReasonGroupUserNotFound   Reason = "group.user_not_found"   // InvalidArgument   92405934 / 92406154
	ReasonGroupUserWildcard   Reason = "group.user_wildcard"    // InvalidArgument   92405936
	ReasonGroupUserDuplicate  Reason = "group.user_duplicate"   // InvalidArgument   262222
	ReasonGroupUserDisabled   Reason = "group.user_disabled"    // InvalidArgument   92406307 (user has no keys)
	ReasonGroupPolicyNotFound Reason = "group.policy_not_found" // InvalidArgument   92405937

	// Policies (object-store-server policies) and policy documents.
	ReasonPolicyNotFound      Reason = "policy.not_found"         // NotFound          4
	ReasonPolicyExists        Reason = "policy.exists"            // AlreadyExists     92405950
	ReasonPolicyNameLength    Reason = "policy.name_length"       // InvalidArgument   92405948
	ReasonPolicyNameChars     Reason = "policy.name_chars"        // InvalidArgument   92405949
	ReasonPolicyReservedName  Reason = "policy.reserved_name"     // InvalidArgument   92405954
	ReasonPolicyReadOnly      Reason = "policy.read_only"         // InvalidArgument   92405953
	ReasonPolicyInUse         Reason = "policy.in_use"            // InUse             - (attached to a group)
	ReasonPolicyInvalid       Reason = "policy.invalid"           // MalformedPolicy   92405963 (statement invalid)
	ReasonPolicyInvalidAction Reason = "policy.invalid_action"    // MalformedPolicy   92405906
	ReasonPolicyTooLarge      Reason = "policy.too_large"         // MalformedPolicy   92405894 (> 10 statements, principals or resources)
	ReasonPolicyResource      Reason = "policy.invalid_resource"  // MalformedPolicy   92405891
	ReasonPolicyPrincipal     Reason = "policy.invalid_principal" // MalformedPolicy   92405897
	ReasonPolicyCondition     Reason = "policy.invalid_condition" // MalformedPolicy   92405940
	ReasonPolicyCIDRHostBits  Reason = "policy.cidr_host_bits"    // MalformedPolicy   92405968
	ReasonNoBucketPolicy      Reason = "bucket.no_policy"         // NoSuchBucketPolicy 4

	// Buckets.
	ReasonBucketNameLength        Reason = "bucket.name_length"         // InvalidBucketName 92405786
	ReasonBucketNameChars         Reason = "bucket.name_chars"          // InvalidBucketName 92405785
	ReasonBucketSize              Reason = "bucket.size_range"          // InvalidArgument   2 (size outside MinBucketSize..MaxBucketSize)
	ReasonVersioningCannotDisable Reason = "bucket.versioning_disabled" // InvalidArgument   2 (never back to disabled)
	ReasonVersioningInvalid       Reason = "bucket.versioning_invalid"  // InvalidArgument   2

	// Jobs.
	// (ReasonJobNotFound and ReasonJobInterrupted: jobs.go, internal/jobs.)
)

// fail builds a rule violation: kind, reason, the offending field and a
// human message.
func fail(k errs.Kind, r Reason, field, format string, args ...any) error {
	return errs.Fail(k, r, field, format, args...)
}

// notImplemented is returned by operations whose bodies are still to come.
func notImplemented(what string) error {
	return errs.New(errs.NotImplemented, "core: %s is not implemented yet", what)
}
