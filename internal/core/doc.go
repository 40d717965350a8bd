// Package core is Coffer's domain, written once and used by every dialect:
// the S3 data plane (package s3api), the ONTAP REST adapter and the
// Commvault adapter. It owns every rule about tenants, S3 services, users and
// their access keys, groups, policies, buckets, jobs, management accounts
// and the cluster, and returns typed errors (package errs) that each adapter
// maps in its one table.
//
// # Entities and their identifiers
//
// Every entity carries every identifier its faces name:
//
//	entity       ONTAP face                         Commvault face          key in core
//	Tenant       SVM (svm.uuid, svm.name)           company (id)            UUID; ID int32; Name
//	S3Service    /protocols/s3/services/{svm.uuid}  (implicit)              the tenant's UUID
//	User         S3 user (name)                     user (userId, GUID)     (tenant, Name); UUID; ID int32
//	AccessKey    keys[] (key_id 1..2)               accessKeyID             AccessKey; (user, Slot)
//	Group        S3 group (id)                      user group (userGroupId) ID int32 (global); UUID
//	Policy       S3 policy (name)                   role                    (tenant, Name)
//	Bucket       bucket (uuid)                      CVS3Store (clientId)    (tenant, Name); UUID; ID int32
//	Job          /cluster/jobs/{uuid}               /Job/{jobId}            UUID; ID int64
//	Admin        Basic-auth cluster administrator   Login user              Name
//
// Int ids come from one counter per entity type, so they are unique across
// tenants (an ONTAP group id, scoped to its SVM by ONTAP, is then unique too).
//
// # Tenants
//
// Data tenants (ONTAP data SVMs) hold S3 services, users and buckets. One
// admin tenant, named after the cluster, exists from the first start: it is
// never listed (ListTenants), GetTenant finds it (so an adapter can answer
// "not a data SVM"), and nothing S3 can be created on it
// (ReasonNotDataTenant). The default tenant that Bootstrap creates is a data
// tenant with an enabled S3 service and its root user.
//
// # Errors
//
// Every rule violation is an *errs.Error with a Kind (the S3 adapter needs
// only that), a Field naming the offending input (ONTAP's "target") and,
// when several cases share a Kind, a Reason (reasons.go) in its Err chain:
// adapters distinguish cases with errors.Is(err, core.ReasonUserNameChars)
// or core.ReasonOf(err), never by matching strings.
//
// # Persistence
//
// Every record lives in kv under a lower-case one-byte namespace (the object
// layer uses upper-case ones in the same store). Each record is JSON with a
// schema version "_v"; decoding an older schema migrates it (migrate*).
//
//	'a' name                        Admin (management account, password hash)
//	'c' "cluster"                   clusterRecord (name, uuid, admin tenant)
//	'f' shard(1)                    change-feed counters (feed.go)
//	'g' id(4, big-endian)           Group (global by its int id)
//	'h' tenant 0x00 groupName       group id (name index; lists a tenant's groups)
//	'i' counterName                 uint64 counter of int ids ("tenant", "user", "group", "job", "audit")
//	'j' jobUUID                     Job
//	'q' jobID(8, big-endian)        job uuid (int id index)
//	'l' leaseName                   lease record (holder, expiry, fencing token; internal/lease)
//	'k' accessKey                   AccessKey (with its secret, sealed by Options.Secrets: SigV4 needs it)
//	'l' "c" 0x00 tenant 0x00 bucket lifecycleCursor (a bucket's resumable lifecycle walk, lifecycle.go)
//	'm' tenantID(4, big-endian)     tenant uuid (int id index)
//	'n' tenantName                  tenant uuid (name index)
//	'o' 'p' name 0x00 addr / 'o' 'a' addr  shared login-lockout counts (internal/loginguard)
//	'p' tenant 0x00 policyName      Policy (user-defined; built-ins are not stored)
//	'r' userID(4, big-endian)       tenant 0x00 userName (int id index)
//	's' tenant                      S3Service
//	't' tenant                      Tenant
//	'u' tenant 0x00 userName        User (with its keys, without secrets)
//	'v' sub …                       Commvault-facing records: plans, nodes, vaults, sessions,
//	                                user profiles (see vrecords.go; plans, vault records and
//	                                the vault plane's jobs are internal/vaults')
//	'x' index(8, big-endian)        AuditRecord (append-only audit log of management changes, audit.go)
//
// Bucket records (comment, size, versioning, policy) are the object layer's
// ('B', with uuid and id indexes); the core changes them only through
// objects.Service.
//
// # Management logins and the audit log
//
// Every management password check (ONTAP Basic authentication:
// AuthenticateAdmin; Commvault: Login) runs under one lockout policy, per
// account and client address plus a per-address limit, with a cheap
// refusal while locked and a gate around the slow hashes, fair between addresses
// (internal/loginguard). Every management change is recorded by the dialect in
// the append-only audit log, secrets redacted (audit.go).
//
// # Caches
//
// Two generation counters, bumped after every committed change through the
// core: identGen (tenants, services, users, keys, groups, policies) and
// bucketGen (bucket create/delete, bucket policies and bucket
// configurations). The credential cache and the per-tenant authorization
// snapshot (with the user names and canonical ids S3 shows) are valid only
// for the identGen they were built at; cached bucket access data (policy,
// ACL, ownership, public access block) and the bucket-name-to-tenants
// answers of anonymous requests only for their bucketGen. A
// change is therefore visible to the very next request, without a TTL. The
// generation is read before the store, so a cache entry built from a state
// older than a commit is never kept past the bump that follows the commit.
//
// Several nodes sharing a store learn of each other's changes through the
// change feed (feed.go): every cache-relevant write also counts the change
// in one of 16 'f' shard records in the same transaction (the ChangeFeed
// store wrapper does it from the keys written), and every node reads the
// shards every Options.FeedPoll (200 ms) and on a kv.Notifier wake-up,
// bumping identGen, bucketGen, the admin cache and the KMS cache for what
// moved. Jobs carry leases and periodic work runs under leases
// (internal/lease, internal/jobs; leases.go, background.go).
package core
