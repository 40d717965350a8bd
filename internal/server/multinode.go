package server

import (
	"time"

	"coffer/internal/core"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
)

// startupSweepAge is the least age of the blobs and temp files the startup
// sweep removes. A Pebble store is this process's alone (Pebble locks its
// directory), and so is the data directory: everything unreferenced is a
// crash's remains, age 0. A store other nodes share (PostgreSQL) means a
// shared data directory, where a young unreferenced blob may be another
// node's write about to commit: only blobs older than the orphan grace
// period go (the periodic, leased sweep takes the rest later).
func startupSweepAge(st kv.Store) time.Duration {
	if _, ok := st.(*pebble.Store); ok {
		return 0
	}
	return core.DefaultOrphanGrace
}
