package policy

import "strings"

// actionScope is the kind of resource an S3 action applies to.
type actionScope uint8

const (
	scopeObject  actionScope = iota // arn:aws:s3:::bucket/key
	scopeBucket                     // arn:aws:s3:::bucket
	scopeService                    // no bucket (s3:ListAllMyBuckets)
)

// s3Actions lists the S3 IAM actions Coffer knows, by scope. ParseAWS
// accepts exactly these names (and patterns); IsBucketAction and
// ResourceFor use the scope. "s3:ListMyBuckets" is ONTAP's spelling of
// s3:ListAllMyBuckets and matches it.
var s3Actions = map[actionScope][]string{
	scopeService: {
		"ListAllMyBuckets", "ListMyBuckets",
		"GetAccountPublicAccessBlock", "PutAccountPublicAccessBlock",
	},
	scopeBucket: {
		"CreateBucket", "DeleteBucket", "ListBucket", "ListBucketVersions",
		"ListBucketMultipartUploads", "GetBucketLocation",
		"GetBucketVersioning", "PutBucketVersioning",
		"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus",
		"GetBucketAcl", "PutBucketAcl", "GetBucketCORS", "PutBucketCORS",
		"GetLifecycleConfiguration", "PutLifecycleConfiguration",
		"GetBucketTagging", "PutBucketTagging",
		"GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration",
		"GetBucketNotification", "PutBucketNotification",
		"GetBucketLogging", "PutBucketLogging",
		"GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite",
		"GetEncryptionConfiguration", "PutEncryptionConfiguration",
		"GetReplicationConfiguration", "PutReplicationConfiguration",
		"GetBucketRequestPayment", "PutBucketRequestPayment",
		"GetAccelerateConfiguration", "PutAccelerateConfiguration",
		"GetBucketOwnershipControls", "PutBucketOwnershipControls",
		"GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock",
		"GetAnalyticsConfiguration", "PutAnalyticsConfiguration",
		"GetInventoryConfiguration", "PutInventoryConfiguration",
		"GetMetricsConfiguration", "PutMetricsConfiguration",
		"GetIntelligentTieringConfiguration", "PutIntelligentTieringConfiguration",
	},
	scopeObject: {
		"GetObject", "GetObjectVersion", "PutObject", "DeleteObject", "DeleteObjectVersion",
		"GetObjectAcl", "GetObjectVersionAcl", "PutObjectAcl", "PutObjectVersionAcl",
		"GetObjectTagging", "GetObjectVersionTagging", "PutObjectTagging",
		"PutObjectVersionTagging", "DeleteObjectTagging", "DeleteObjectVersionTagging",
		"AbortMultipartUpload", "ListMultipartUploadParts",
		"GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold", "PutObjectLegalHold",
		"BypassGovernanceRetention", "GetObjectAttributes", "GetObjectVersionAttributes",
		"RestoreObject", "GetObjectTorrent", "GetObjectVersionTorrent",
		"ReplicateObject", "ReplicateDelete", "ReplicateTags", "GetObjectVersionForReplication",
		"ObjectOwnerOverrideToBucketOwner",
	},
}

type actionInfo struct {
	name  string // canonical, "s3:GetObject"
	scope actionScope
}

// actionsByLower maps "s3:getobject" to its canonical name and scope.
var actionsByLower = func() map[string]actionInfo {
	m := make(map[string]actionInfo)
	for scope, names := range s3Actions {
		for _, n := range names {
			m[strings.ToLower("s3:"+n)] = actionInfo{name: "s3:" + n, scope: scope}
		}
	}
	return m
}()

// ontapActions are the action names ONTAP documents for policy statements
// (ONTAP spec §8), plus "ListMyBuckets", which ONTAP's examples use.
var ontapActions = []string{
	"GetObject", "PutObject", "DeleteObject", "ListBucket", "GetBucketAcl", "GetObjectAcl",
	"ListAllMyBuckets", "ListMyBuckets", "ListBucketMultipartUploads", "ListMultipartUploadParts",
	"CreateBucket", "DeleteBucket", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging",
	"GetBucketLocation", "GetBucketVersioning", "PutBucketVersioning", "ListBucketVersions",
	"PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "AbortMultipartUpload",
}

// ontapDefaultActions are the actions of an ONTAP bucket-policy statement
// that names none (ONTAP spec §6).
var ontapDefaultActions = []string{
	"GetObject", "PutObject", "DeleteObject", "ListBucket", "ListBucketMultipartUploads",
	"ListMultipartUploadParts", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging",
	"GetBucketVersioning", "PutBucketVersioning",
}

// lookupAction returns the canonical spelling of a known S3 action.
func lookupAction(action string) (string, bool) {
	a, ok := findAction(action)
	return a.name, ok
}

func findAction(action string) (actionInfo, bool) {
	if a, ok := actionsByLower[action]; ok { // already lower case
		return a, true
	}
	a, ok := actionsByLower[strings.ToLower(action)]
	return a, ok
}

func isBucketAction(action string) bool {
	a, ok := findAction(action)
	return ok && a.scope == scopeBucket
}

// arnPrefix starts every S3 resource ARN.
const arnPrefix = "arn:aws:s3:::"

// serviceResource is the resource of service-level actions.
const serviceResource = arnPrefix + "*"

func resourceFor(action, bucket, key string) string {
	if bucket == "" {
		return serviceResource
	}
	scope := scopeObject
	if a, ok := findAction(action); ok {
		scope = a.scope
	} else if key == "" {
		scope = scopeBucket
	}
	switch scope {
	case scopeObject:
		return arnPrefix + bucket + "/" + key
	case scopeBucket:
		return arnPrefix + bucket
	}
	return serviceResource
}
