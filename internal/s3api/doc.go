// Package s3api is Coffer's S3 protocol adapter: it turns S3 HTTP requests
// into calls on the object layer and renders the answers in S3's XML dialect.
//
// Each request goes through the same steps, in this order:
//
//  1. ParseRequest (router.go): method, path, query and a few headers become
//     one typed Op (operation, bucket, key, version, upload, part…) carrying
//     its IAM action name. Pure, no I/O. Path-style (/bucket/key),
//     virtual-hosted style (bucket.<Options.Domain>) and Commvault's /S3
//     prefix (/S3/bucket/key) are accepted.
//  2. Authentication: SigV4 (header or presigned) via package sigv4; the
//     access key resolves to a core.Principal through Options.Credentials.
//     An unsigned request runs as an anonymous principal of the one tenant
//     that has a bucket of the name it addresses (acl.go); authorization
//     then allows it only what a public bucket policy or ACL grants.
//  3. Authorization: Options.Authorizer answers core.Request{Principal,
//     Action, Bucket, Key, SourceIP, Context} (Context: condition keys such
//     as s3:prefix, aws:SecureTransport). Buckets are looked up in the
//     principal's tenant. Bucket policies (Get/Put/DeleteBucketPolicy, AWS
//     JSON parsed by package policy) are stored through
//     Options.BucketPolicies, which the core implements: they are the same
//     policies the management plane shows.
//  4. A handler calls the Backend (the object layer) and returns a response
//     value or an error; writeResponse renders values, writeError renders
//     errors through the one table in errors.go.
//
// The adapter is thin on purpose: versioning, delete markers, conditional
// requests, listing order, multipart rules, bucket-name and key-length rules
// all live in package objects. What stays here is S3's wire format: header
// names, query parameters, XML element names, quoting of ETags, timestamp
// formats, URL-encoding of listings, and the few protocol-level checks AWS
// makes before touching any object (XML shape and size, tag limits, header
// syntax).
//
// Request bodies that carry object data are a chain of io.Readers
// (body.go): SigV4 payload verification and aws-chunked decoding
// (sigv4.Auth.Body), an exact-length check, then checksum verification
// (checksum.Reader, which also computes the MD5 ETag). A failure anywhere
// surfaces as a Read error, so the object layer publishes nothing.
//
// Reference: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
package s3api
