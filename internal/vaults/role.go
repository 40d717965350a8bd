package vaults

import (
	"fmt"
	"slices"
	"strings"

	"coffer/internal/policy"
)

// The S3 User role (Commvault: S3_putObject, S3_getObject, S3_listBucket,
// S3_deleteObject) is the vault's bucket policy: Allow statements naming
// the owners (user names) and the groups ("group/<name>", so that members
// added later hold the role too) for RoleActions on the vault and its
// objects. The S3 data plane enforces it like any bucket policy.

// RoleActions are the S3 actions of the S3 User role: what a backup
// product does on its own vault. Commvault documents S3_putObject,
// S3_getObject, S3_listBucket and S3_deleteObject; the tools that back up
// to a vault (Commvault itself, rclone, restic, the aws CLI, Veeam-style
// products) also need the versions of objects (Coffer's vaults are
// versioned: rclone reads each object back by versionId after writing
// it), every multipart step, object tags, the bucket checks they run
// before writing (HeadBucket is s3:ListBucket, GetBucketLocation,
// GetBucketVersioning, GetBucketObjectLockConfiguration), CreateBucket as
// an existence check (it answers BucketAlreadyOwnedByYou: the statement's
// resource is the vault, which exists), and the Object Lock retention and
// legal-hold calls. Nothing that changes the vault's settings (versioning,
// policy, lifecycle, lock configuration) and nothing outside the vault:
// the statements' resources are the vault and its objects.
var RoleActions = []string{
	"s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject",
	"s3:GetObjectVersion", "s3:DeleteObjectVersion", "s3:ListBucketVersions",
	"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads",
	"s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObjectTagging",
	"s3:GetObjectVersionTagging", "s3:PutObjectVersionTagging", "s3:DeleteObjectVersionTagging",
	"s3:GetObjectAttributes", "s3:GetObjectVersionAttributes",
	"s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration",
	"s3:CreateBucket",
	"s3:GetObjectRetention", "s3:PutObjectRetention", "s3:GetObjectLegalHold", "s3:PutObjectLegalHold",
}

// RoleSid starts the Sid of every statement of the S3 User role.
const RoleSid = "CommvaultS3UserRole"

// RolePolicy is the S3 User role of users and groups on a vault, as
// bucket-policy statements of at most per principals each (the core's
// bucket-policy limit).
func RolePolicy(bucket string, users, groups []string, per int) policy.Document {
	principals := append([]string{}, users...)
	for _, g := range groups {
		principals = append(principals, "group/"+g)
	}
	doc := policy.Document{Version: policy.Version2012}
	for i := 0; i < len(principals); i += per {
		chunk := principals[i:min(i+per, len(principals))]
		doc.Statements = append(doc.Statements, policy.Statement{
			Sid:        fmt.Sprintf("%s%d", RoleSid, i/per+1),
			Effect:     policy.EffectAllow,
			Principals: chunk,
			Actions:    append([]string{}, RoleActions...),
			Resources:  []string{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"},
		})
	}
	return doc
}

// UpgradeRole brings the S3 User role statements of a vault's policy
// (those with a Sid starting RoleSid) to the current RoleActions, so
// vaults created by an older version gain the actions added since. Other
// statements are left as they are. changed is false when nothing had to
// change.
func UpgradeRole(p *policy.Document) (doc policy.Document, changed bool) {
	doc = policy.Document{Version: p.Version, ID: p.ID}
	for _, st := range p.Statements {
		if strings.HasPrefix(st.Sid, RoleSid) && st.Effect == policy.EffectAllow && !slices.Equal(st.Actions, RoleActions) {
			st.Actions = append([]string{}, RoleActions...)
			changed = true
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, changed
}
