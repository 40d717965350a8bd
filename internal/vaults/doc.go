// Package vaults is Commvault's vault plane without its identities: the
// plans (server plans with their retention and the WORM storage lock), the
// record that binds a bucket to its plan, its owners and groups and its S3
// endpoints, the S3 User role those owners and groups hold (a bucket
// policy), the jobs of the plane (endpoint configuration, the purge of a
// vault, data aging) with their kill requests, and data aging itself.
//
// The core wires it (internal/core: Options.Store is the core's store
// with its change feed) and keeps what composes other domains: creating a
// vault (a bucket, users' keys, groups), the view of a vault with its
// users, groups and nodes, and the Object Lock of a WORM plan's buckets.
// This package does not import the core; the object layer is its only way
// to buckets and their versions, and every rule that refuses a delete of
// a locked version stays there: data aging and a purge skip or stop on it.
//
// # Records
//
// Every record is JSON with a schema version "_v", under Options.Prefix
// (the core's 'v') and one byte of its own:
//
//	Prefix 'p' planID(4, big-endian)   Plan
//	Prefix 'P' planName                plan id (name index)
//	Prefix 'b' tenant 0x00 bucketName  Record (plan, owners, groups, endpoints)
//	Prefix 'a' "aging"                 agingRecord (the last data-aging run, a lease)
//	Prefix 'j' jobID(8, big-endian)    jobMeta (clients a job concerns, kill request)
//
// A Record names its bucket by uuid too: a record whose bucket was
// deleted, or replaced by another of the same name, binds nothing (Live)
// and upkeep removes it (PruneRecords).
package vaults
