package ontap

import (
	"errors"
	"net/http"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/ontap/collection"
	"coffer/internal/policy"
)

// This file is the ONTAP dialect's one error table: every error the core
// (errs.Kind plus core.Reason) or this adapter returns becomes ONTAP's
// {"error":{"message","code","target"}} with an HTTP status. Anything not
// in the table is an internal error: 500, code "1", logged with the
// request, its text never sent.
//
// HTTP statuses of the S3-specific codes are not documented by NetApp (the
// docs say "Default"); Coffer answers 400 for invalid input, 404 for a
// missing entity, 409 for a duplicate or a missing prerequisite (D-RESP:
// "409 object exists / prerequisite missing") and 403 for 92406096, the one
// status observed on a real system. docs/ontap.md lists these choices.

// apiError is a rendered ONTAP error.
type apiError struct {
	Status  int
	Code    string
	Message string
	Target  string
}

func (e *apiError) Error() string { return "ontap " + e.Code + ": " + e.Message }

// ONTAP error codes used by this adapter (spec §1 and §9).
const (
	codeInternal          = "1" // also: duplicate entry (with 409)
	codeDuplicate         = "1"
	codeInvalidField      = "2"
	codeNotSupported      = "3"
	codeNotFound          = "4"
	codeNotAuthenticated  = "6"
	codeInUse             = "8"
	codeUnexpectedArg     = collection.CodeUnexpectedArgument // 262179
	codeInvalidValue      = collection.CodeInvalidValue       // 262197
	codeGroupUserTwice    = "262222"
	codeJobFailed         = "460770"
	codeNoS3Server        = "92405773"
	codeBucketCreate      = "92405777"
	codeBucketModify      = "92405778"
	codeBucketRemove      = "92405779"
	codeBucketNameChars   = "92405785"
	codeBucketNameLength  = "92405786"
	codeUserNameChars     = "92405787"
	codeUserNameLength    = "92405788"
	codeServerNameChars   = "92405789"
	codeServerNameLength  = "92405790"
	codeKeyCreate         = "92405791"
	codeKeyRegenerate     = "92405792"
	codeRetryLater        = "92405811"
	codeUserNotDataSVM    = "92405817"
	codeNotDataSVM        = "92405858"
	codeServerNotDataSVM  = "92405884"
	codePolicyResource    = "92405891"
	codePolicyTooLarge    = "92405894"
	codeGroupUsersEmptyP  = "92405896"
	codePolicyPrincipal   = "92405897"
	codePolicyAction      = "92405906"
	codeGroupNameLength   = "92405930"
	codeGroupNameChars    = "92405931"
	codeGroupUserUnknown  = "92405934"
	codeGroupUserWildcard = "92405936"
	codeGroupPolicyUnkn   = "92405937"
	codePolicyCondition   = "92405940"
	codeGroupExists       = "92405942"
	codePolicyNameLength  = "92405948"
	codePolicyNameChars   = "92405949"
	codePolicyExists      = "92405950"
	codePolicyReadOnly    = "92405953"
	codePolicyReserved    = "92405954"
	codePolicyInvalid     = "92405963"
	codeCIDRHostBits      = "92405968"
	codeRegenAndDelete    = "92406082"
	codeKeyTTLTooLong     = "92406083"
	codeTTLNeedsRegen     = "92406088"
	codePermission        = "92406096"
	codeKeyIDAlone        = "92406108"
	codeKeyTTLAboveMax    = "92406196"
	codeKeyTTLRequired    = "92406197"
	codeAccessKeyExists   = "92406200"
	codeKeyPairIncomplete = "92406201"
	codeDeleteKeysWithKey = "92406202"
	codeAccessKeyChars    = "92406205"
	codeGroupUsersEmpty   = "92406207"
	codeGroupUserDisabled = "92406307"
	codeUserInGroup       = "92406308"
	codeLockPeriodNoMode  = "92406165"
	codeLockNAS           = "92406166"
	codeLockAboveMax      = "92406230"
	codeLockBelowMin      = "92406236"
)

// Messages of ONTAP's own texts (the seed and the swagger tables).
const (
	msgNotFound       = "entry doesn't exist"
	msgDuplicate      = "duplicate entry"
	msgUserNameChars  = `The specified user name contains invalid characters. Valid characters for a user name are 0-9, A-Z, a-z, "_", "+", "=", ",", ".", "@", and "-".`
	msgUserNameLength = "User names must have between 1 and 64 characters."
	msgNoS3Server     = "Object store server is not present for specified SVM. Create a object store server and retry the operation."
	msgKeyCreate      = "Failed to create access-key and secret-key."
	msgUserNotDataSVM = "S3 users can be created only on data SVM."
	msgBucketChars    = `The specified bucket name contains invalid characters or invalid character combinations. Valid characters for a bucket name are 0-9, a-z, ".", and "-". Invalid character combinations are ".-", "-.", and "..".`
	msgBucketLength   = "Bucket names must have between 3 and 63 characters."
	msgInternal       = "An internal error occurred. Retry the operation; if it persists, contact the administrator."
	msgUnauthorized   = "The request requires authentication: send a valid user name and password (HTTP Basic)."
)

// family says which kind of endpoint an error came from, for the reasons
// whose ONTAP code differs per endpoint.
type family int

const (
	famOther family = iota
	famUsers
	famService
	famBuckets
	famGroups
	famPolicies
	famSVM
)

func familyOf(res resource) family {
	switch res {
	case resUsers, resUser:
		return famUsers
	case resServices, resService:
		return famService
	case resSvmBuckets, resSvmBucket, resBuckets, resBucket, resRules, resRule:
		return famBuckets
	case resGroups, resGroup:
		return famGroups
	case resPolicies, resPolicy:
		return famPolicies
	case resSVMs, resSVM:
		return famSVM
	}
	return famOther
}

// entry is one row of the table. Message "" means the core's message.
// Target "" means the core's Field (or none).
type entry struct {
	Status  int
	Code    string
	Message string
	Target  string
}

// reasonTable maps the core's reasons. Rows that depend on the endpoint or
// the method are resolved in reasonEntry.
var reasonTable = map[core.Reason]entry{
	core.ReasonTenantNotFound:    {http.StatusNotFound, codeNotFound, msgNotFound, "svm.uuid"},
	core.ReasonTenantExists:      {http.StatusConflict, codeDuplicate, "", "name"},
	core.ReasonTenantNameInvalid: {http.StatusBadRequest, codeInvalidField, "", "name"},
	core.ReasonTenantInUse:       {http.StatusConflict, codeInUse, "", ""},
	core.ReasonNotDataTenant:     {http.StatusBadRequest, codeNotDataSVM, "", "svm.uuid"},
	core.ReasonTenantStateBad:    {http.StatusBadRequest, codeInvalidField, "", "state"},
	core.ReasonTenantSettingBad:  {http.StatusBadRequest, codeInvalidField, "", ""},

	core.ReasonNoS3Service:       {http.StatusConflict, codeNoS3Server, msgNoS3Server, "svm.uuid"},
	core.ReasonS3ServiceExists:   {http.StatusConflict, codeDuplicate, "", "svm.uuid"},
	core.ReasonServiceNameLength: {http.StatusBadRequest, codeServerNameLength, "", "name"},
	core.ReasonServiceNameChars:  {http.StatusBadRequest, codeServerNameChars, "", "name"},
	core.ReasonServicePort:       {http.StatusBadRequest, codeInvalidField, "", ""},
	core.ReasonDuration:          {http.StatusBadRequest, codeInvalidField, "", ""},

	core.ReasonUserNotFound:      {http.StatusNotFound, codeNotFound, msgNotFound, "name"},
	core.ReasonUserExists:        {http.StatusConflict, codeDuplicate, "", "name"},
	core.ReasonUserNameLength:    {http.StatusBadRequest, codeUserNameLength, msgUserNameLength, "name"},
	core.ReasonUserNameChars:     {http.StatusBadRequest, codeUserNameChars, msgUserNameChars, "name"},
	core.ReasonRootUser:          {http.StatusBadRequest, codeInvalidField, "", "name"},
	core.ReasonUserInGroup:       {http.StatusConflict, codeUserInGroup, "", "delete_keys"},
	core.ReasonKeyGeneration:     {http.StatusInternalServerError, codeKeyCreate, msgKeyCreate, ""},
	core.ReasonKeyPairIncomplete: {http.StatusBadRequest, codeKeyPairIncomplete, "", "access_key"},
	core.ReasonAccessKeyExists:   {http.StatusConflict, codeAccessKeyExists, "", "access_key"},
	core.ReasonAccessKeyInvalid:  {http.StatusBadRequest, codeAccessKeyChars, "", "access_key"},
	core.ReasonSecretKeyInvalid:  {http.StatusBadRequest, codeInvalidField, "", "secret_key"},
	core.ReasonKeyTTLTooLong:     {http.StatusBadRequest, codeKeyTTLTooLong, "", "key_time_to_live"},
	core.ReasonKeyTTLAboveMax:    {http.StatusBadRequest, codeKeyTTLAboveMax, "", "key_time_to_live"},
	core.ReasonKeyTTLRequired:    {http.StatusBadRequest, codeKeyTTLRequired, "", "key_time_to_live"},
	core.ReasonKeySlotInvalid:    {http.StatusBadRequest, codeInvalidField, "", "key_id"},
	core.ReasonKeyNotFound:       {http.StatusNotFound, codeNotFound, msgNotFound, "key_id"},
	core.ReasonTooManyKeys:       {http.StatusBadRequest, codeInvalidField, "", ""},
	core.ReasonCommentTooLong:    {http.StatusBadRequest, codeInvalidField, "", "comment"},
	core.ReasonKeyStatusInvalid:  {http.StatusBadRequest, codeInvalidField, "", ""},
	core.ReasonBadCredentials:    {http.StatusUnauthorized, codeNotAuthenticated, msgUnauthorized, ""},

	core.ReasonGroupNotFound:       {http.StatusNotFound, codeNotFound, msgNotFound, "id"},
	core.ReasonGroupExists:         {http.StatusConflict, codeGroupExists, "", "name"},
	core.ReasonGroupNameLength:     {http.StatusBadRequest, codeGroupNameLength, "", "name"},
	core.ReasonGroupNameChars:      {http.StatusBadRequest, codeGroupNameChars, "", "name"},
	core.ReasonGroupUsersEmpty:     {http.StatusBadRequest, codeGroupUsersEmpty, "", "users"},
	core.ReasonGroupUserNotFound:   {http.StatusBadRequest, codeGroupUserUnknown, "", "users"},
	core.ReasonGroupUserWildcard:   {http.StatusBadRequest, codeGroupUserWildcard, "", "users"},
	core.ReasonGroupUserDuplicate:  {http.StatusBadRequest, codeGroupUserTwice, "", "users"},
	core.ReasonGroupUserDisabled:   {http.StatusBadRequest, codeGroupUserDisabled, "", "users"},
	core.ReasonGroupPolicyNotFound: {http.StatusBadRequest, codeGroupPolicyUnkn, "", "policies"},

	core.ReasonPolicyNotFound:      {http.StatusNotFound, codeNotFound, msgNotFound, "name"},
	core.ReasonPolicyExists:        {http.StatusConflict, codePolicyExists, "", "name"},
	core.ReasonPolicyNameLength:    {http.StatusBadRequest, codePolicyNameLength, "", "name"},
	core.ReasonPolicyNameChars:     {http.StatusBadRequest, codePolicyNameChars, "", "name"},
	core.ReasonPolicyReservedName:  {http.StatusBadRequest, codePolicyReserved, "", "name"},
	core.ReasonPolicyReadOnly:      {http.StatusBadRequest, codePolicyReadOnly, "", "name"},
	core.ReasonPolicyInUse:         {http.StatusConflict, codeInUse, "", "name"},
	core.ReasonPolicyInvalid:       {http.StatusBadRequest, codePolicyInvalid, "", "statements"},
	core.ReasonPolicyInvalidAction: {http.StatusBadRequest, codePolicyAction, "", "actions"},
	core.ReasonPolicyTooLarge:      {http.StatusBadRequest, codePolicyTooLarge, "", "policy.statements"},
	core.ReasonPolicyResource:      {http.StatusBadRequest, codePolicyResource, "", "resources"},
	core.ReasonPolicyPrincipal:     {http.StatusBadRequest, codePolicyPrincipal, "", "principals"},
	core.ReasonPolicyCondition:     {http.StatusBadRequest, codePolicyCondition, "", "conditions"},
	core.ReasonPolicyCIDRHostBits:  {http.StatusBadRequest, codeCIDRHostBits, "", "source_ips"},
	core.ReasonNoBucketPolicy:      {http.StatusNotFound, codeNotFound, msgNotFound, "policy"},

	core.ReasonBucketNameLength:        {http.StatusBadRequest, codeBucketNameLength, msgBucketLength, "name"},
	core.ReasonBucketNameChars:         {http.StatusBadRequest, codeBucketNameChars, msgBucketChars, "name"},
	core.ReasonBucketSize:              {http.StatusBadRequest, codeInvalidField, "", "size"},
	core.ReasonVersioningCannotDisable: {http.StatusBadRequest, codeInvalidField, "", "versioning_state"},
	core.ReasonVersioningInvalid:       {http.StatusBadRequest, codeInvalidField, "", "versioning_state"},

	core.ReasonRetentionModeInvalid:   {http.StatusBadRequest, codeInvalidValue, "", "retention.mode"},
	core.ReasonRetentionModeImmutable: {http.StatusBadRequest, codeInvalidField, "", "retention.mode"},
	core.ReasonRetentionPeriodInvalid: {http.StatusBadRequest, codeInvalidValue, "", "retention.default_period"},
	core.ReasonRetentionPeriodNoMode:  {http.StatusBadRequest, codeLockPeriodNoMode, "", "retention.default_period"},
	core.ReasonRetentionAboveMax:      {http.StatusBadRequest, codeLockAboveMax, "", "retention.default_period"},
	core.ReasonRetentionBelowMin:      {http.StatusBadRequest, codeLockBelowMin, "", "retention.default_period"},
	core.ReasonRetentionVersioning:    {http.StatusBadRequest, codeInvalidField, "", "versioning_state"},

	core.ReasonJobNotFound:    {http.StatusNotFound, codeNotFound, msgNotFound, "uuid"},
	core.ReasonJobInterrupted: {http.StatusInternalServerError, codeJobFailed, "", ""},
}

// reasonEntry returns the row for a reason, resolving the rows that depend
// on the endpoint and method.
func reasonEntry(r core.Reason, rt route) (entry, bool) {
	e, ok := reasonTable[r]
	if !ok {
		return entry{}, false
	}
	fam := familyOf(rt.Res)
	switch r {
	case core.ReasonNotDataTenant:
		switch fam {
		case famUsers:
			e.Code, e.Message = codeUserNotDataSVM, msgUserNotDataSVM
		case famService:
			e.Code = codeServerNotDataSVM
		}
	case core.ReasonKeyGeneration:
		if rt.Method == http.MethodPatch {
			e.Code, e.Message = codeKeyRegenerate, "Failed to regenerate access-key and secret-key."
		}
	case core.ReasonGroupUsersEmpty:
		if rt.Method == http.MethodPatch {
			e.Code = codeGroupUsersEmptyP
		}
	case core.ReasonTenantNotFound:
		if fam == famSVM {
			e.Target = "uuid"
		}
	}
	return e, true
}

// kindTable maps errs.Kind for errors that carry no reason (or a reason
// not in reasonTable).
var kindTable = map[errs.Kind]entry{
	errs.NotFound:                {http.StatusNotFound, codeNotFound, msgNotFound, ""},
	errs.NoSuchBucket:            {http.StatusNotFound, codeNotFound, msgNotFound, "uuid"},
	errs.NoSuchBucketPolicy:      {http.StatusNotFound, codeNotFound, msgNotFound, "policy"},
	errs.AlreadyExists:           {http.StatusConflict, codeDuplicate, msgDuplicate, ""},
	errs.BucketAlreadyExists:     {http.StatusConflict, codeDuplicate, "", "name"},
	errs.BucketAlreadyOwnedByYou: {http.StatusConflict, codeDuplicate, "", "name"},
	errs.BucketNotEmpty:          {http.StatusConflict, codeBucketRemove, "", ""},
	errs.InvalidBucketState:      {http.StatusConflict, codeBucketModify, "", ""},
	errs.InUse:                   {http.StatusConflict, codeInUse, "", ""},
	errs.InvalidArgument:         {http.StatusBadRequest, codeInvalidField, "", ""},
	errs.InvalidRequest:          {http.StatusBadRequest, codeInvalidField, "", ""},
	errs.InvalidBucketName:       {http.StatusBadRequest, codeBucketNameChars, msgBucketChars, "name"},
	errs.MalformedPolicy:         {http.StatusBadRequest, codePolicyInvalid, "", ""},
	errs.AccessDenied:            {http.StatusForbidden, codePermission, "", ""},
	errs.Unauthenticated:         {http.StatusUnauthorized, codeNotAuthenticated, msgUnauthorized, ""},
	errs.NotImplemented:          {http.StatusBadRequest, codeNotSupported, "", ""},
	errs.MethodNotAllowed:        {http.StatusMethodNotAllowed, codeNotSupported, "", ""},
	errs.Conflict:                {http.StatusConflict, codeRetryLater, "", ""},
	errs.EntityTooLarge:          {http.StatusRequestEntityTooLarge, codeInvalidField, "", ""},
	errs.IncompleteBody:          {http.StatusBadRequest, codeInvalidField, "", ""},
	errs.QuotaExceeded:           {http.StatusBadRequest, codeInvalidField, "", "size"},
	errs.Unavailable:             {http.StatusServiceUnavailable, codeRetryLater, "The service is temporarily unavailable. Wait a few minutes, then try the command again.", ""},
}

// toAPIError translates err for the request's route. mapped is false for
// internal or unknown errors (the caller logs them).
func toAPIError(err error, rt route) (e apiError, mapped bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return *ae, true
	}
	var ce *collection.Error
	if errors.As(err, &ce) {
		status := http.StatusBadRequest
		if ce.Kind == errs.EntityTooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		return apiError{Status: status, Code: ce.Code, Message: ce.Message, Target: ce.Target}, true
	}
	var re *errRoute
	if errors.As(err, &re) {
		if re.status == http.StatusMethodNotAllowed {
			return apiError{Status: re.status, Code: codeNotSupported, Message: "The HTTP method is not supported by this API."}, true
		}
		return apiError{Status: http.StatusNotFound, Code: codeNotSupported, Message: "API not found"}, true
	}
	field, msg := "", errs.Message(err)
	var ee *errs.Error
	if errors.As(err, &ee) {
		field = ee.Field
	}
	var row entry
	var found bool
	if r := core.ReasonOf(err); r != "" {
		row, found = reasonEntry(r, rt)
	}
	kind := errs.KindOf(err)
	if !found {
		row, found = kindTable[kind]
	}
	if !found {
		return apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: msgInternal}, false
	}
	e = apiError{Status: row.Status, Code: row.Code, Message: row.Message, Target: row.Target}
	if e.Message == "" {
		e.Message = msg
	}
	if e.Message == "" {
		e.Message = kind.String()
	}
	if field != "" && !pathTargets[kind] {
		e.Target = field
	}
	return e, true
}

// pathTargets are kinds whose target is the path parameter ONTAP names
// (the record's uuid), whatever input the lower layers blame.
var pathTargets = map[errs.Kind]bool{errs.NoSuchBucket: true}

// Errors this adapter raises itself, for request shapes ONTAP refuses
// before any rule of the core applies.

func badRequest(code, target, msg string) error {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: msg, Target: target}
}

func notFound(target string) error {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: msgNotFound, Target: target}
}

// policyFieldCodes maps the field a policy.FromONTAP* error names to
// ONTAP's code for that kind of statement error.
var policyFieldCodes = map[string]string{
	"actions":    codePolicyAction,
	"resources":  codePolicyResource,
	"principals": codePolicyPrincipal,
	"conditions": codePolicyCondition,
}

// policyError translates an error of package policy's ONTAP conversion
// (FromONTAP, FromONTAPBucketPolicy: *errs.Error naming the statement
// field) into an ONTAP error; prefix is where the statements are in the
// body ("statements" or "policy.statements").
func policyError(err error, prefix string) error {
	var ee *errs.Error
	if !errors.As(err, &ee) {
		return err
	}
	code := codePolicyInvalid
	switch {
	case errors.Is(err, policy.ErrONTAPLimit):
		code = codePolicyTooLarge
	case errors.Is(err, policy.ErrCIDRHostBits):
		code = codeCIDRHostBits
	default:
		if c, ok := policyFieldCodes[ee.Field]; ok {
			code = c
		}
	}
	target := prefix
	if ee.Field != "" && ee.Field != "statements" {
		target = prefix + "." + ee.Field
	}
	msg := ee.Msg
	if msg == "" {
		msg = "The policy statement is not valid."
	}
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: msg, Target: target}
}
