// Package testkit holds the setup that the tests of several packages
// share, so that each package's tests say what they test and not how a
// store, a clock or a JSON reply is put together: a settable clock, a real
// metadata store and object layer in a temporary directory, and a JSON
// reply read from a management API (ONTAP, Commvault) with dotted-path
// access.
//
// It is imported by tests only. It must not import the core or the
// adapters, whose own (internal) tests use it.
package testkit
