// Package collection implements the generic conventions that every ONTAP REST
// collection shares, independent of any endpoint: the reserved query
// parameters (fields, max_records, return_records, return_timeout, order_by,
// the start.* continuation token), field filters with ONTAP's query operators,
// ordering, pagination with _links.next, field projection, the
// {"records","num_records","_links"} envelope, and JSON request bodies that
// may mix nested objects and dotted keys.
//
// Records are generic: a record is the map[string]any an endpoint would
// return with every field filled in (nested objects as map[string]any, arrays
// as []any, numbers as float64, int, int64 or json.Number). Field names are
// dotted paths ("svm.name", "policy.statements.sid"); a path walks through
// arrays, so "users.name" names the name of every element of users.
//
// The package is pure: no I/O besides reading a request body, no state. All
// errors it returns are *Error values that carry ONTAP's numeric error code
// and target, and are also an errs.Kind for the rest of Coffer
// (errs.InvalidArgument, except errs.EntityTooLarge for an oversized body
// and errs.IncompleteBody for a body that cannot be read).
//
// Sources (see the spec, shared/spec/ontap-s3.md §1): docs.netapp.com
// "Input variables controlling an API request" (filter operators),
// "Getting started with the ONTAP REST API" (fields, collection defaults),
// real ONTAP transcripts in public clients for codes 262179 and 262197 and
// for the _links.next format ("?start.uuid=<key>&<same query>").
package collection
