package acl

import "strings"

// Requester is who asks: CanonicalID "" for an anonymous request.
type Requester struct {
	CanonicalID string
}

// Authenticated reports whether the requester signed its request.
func (r Requester) Authenticated() bool { return r.CanonicalID != "" }

// Allows reports whether a gives r permission p. FULL_CONTROL implies every
// permission; the owner always has READ_ACP and WRITE_ACP, as in AWS.
// ignorePublic drops the grants to AllUsers and AuthenticatedUsers
// (Block Public Access IgnorePublicAcls).
func (a ACL) Allows(r Requester, p Permission, ignorePublic bool) bool {
	if r.Authenticated() && r.CanonicalID == a.Owner && (p == ReadACP || p == WriteACP) {
		return true
	}
	for _, g := range a.Grants {
		if g.Permission != p && g.Permission != FullControl {
			continue
		}
		switch g.Grantee.Type {
		case CanonicalUser:
			if r.Authenticated() && g.Grantee.ID == r.CanonicalID {
				return true
			}
		case Group:
			if ignorePublic {
				continue
			}
			if g.Grantee.URI == AllUsers || g.Grantee.URI == AuthenticatedUsers && r.Authenticated() {
				return true
			}
		}
	}
	return false
}

// Mapping of ACL permissions to the IAM actions they allow, from AWS's
// table "Mapping of ACL permissions and access policy permissions"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions).
// Keys are lower-case action names.
var (
	bucketActions = map[string]Permission{
		"s3:listbucket":                 Read,
		"s3:listbucketversions":         Read,
		"s3:listbucketmultipartuploads": Read,
		"s3:putobject":                  Write,
		"s3:deleteobject":               Write,
		"s3:getbucketacl":               ReadACP,
		"s3:putbucketacl":               WriteACP,
	}
	objectActions = map[string]Permission{
		"s3:getobject":           Read,
		"s3:getobjectversion":    Read,
		"s3:getobjecttorrent":    Read,
		"s3:getobjectacl":        ReadACP,
		"s3:getobjectversionacl": ReadACP,
		"s3:putobjectacl":        WriteACP,
		"s3:putobjectversionacl": WriteACP,
	}
)

// BucketPermission is the permission a bucket ACL must grant for action
// (an IAM action name, any case); ok is false when no bucket ACL permission
// allows it.
func BucketPermission(action string) (p Permission, ok bool) {
	p, ok = bucketActions[strings.ToLower(action)]
	return p, ok
}

// ObjectPermission is the permission an object ACL must grant for action;
// ok is false when no object ACL permission allows it.
func ObjectPermission(action string) (p Permission, ok bool) {
	p, ok = objectActions[strings.ToLower(action)]
	return p, ok
}
