package server

import (
	"fmt"
	"os"
	"runtime/debug"
)

// The memory budget (Options.MemoryBudget, --memory-budget,
// COFFER_MEMORY_BUDGET) is what the whole process should stay under. It
// sizes the large fixed consumers, all of which otherwise grow to their own
// defaults whatever the machine: Pebble's block cache and memtables, the
// embedded store's conflict log, and Go's soft memory limit, which makes the
// garbage collector work harder as the heap nears the rest of the budget
// instead of letting it double (GOGC) during a burst such as a bulk delete.
// Request buffers are bounded separately (per request, not per budget).

// Budget bounds.
const (
	DefaultMemoryBudget = 128 << 20
	MinMemoryBudget     = 48 << 20
	MaxMemoryBudget     = 1 << 40
)

// MemoryPlan is how a budget is shared out.
type MemoryPlan struct {
	Budget int64
	// PebbleCache is the block cache: 3/16 of the budget.
	PebbleCache int64
	// PebbleMemTable is one memtable: 1/16 of the budget, at most 64 MiB.
	// It also sets the size of the write-ahead log files Pebble
	// preallocates (110%), hence most of a fresh data directory's size.
	PebbleMemTable int64
	// PebbleConflictLog bounds the key bytes the conflict checks keep:
	// 1/16 of the budget, at most 64 MiB.
	PebbleConflictLog int
	// GoLimit is the Go runtime's soft memory limit: the budget less what
	// Pebble allocates outside the Go heap (with cgo, its cache and
	// memtables are C memory) and 1/8 for what the limit does not see
	// (the binary's resident text, C allocations): 72 MiB of 128.
	GoLimit int64
}

// PlanMemory shares out budget (0: DefaultMemoryBudget).
func PlanMemory(budget int64) (MemoryPlan, error) {
	if budget == 0 {
		budget = DefaultMemoryBudget
	}
	if budget < MinMemoryBudget || budget > MaxMemoryBudget {
		return MemoryPlan{}, fmt.Errorf("--memory-budget %d must be within %d MiB..%d TiB", budget, MinMemoryBudget>>20, MaxMemoryBudget>>40)
	}
	p := MemoryPlan{Budget: budget}
	p.PebbleCache = budget * 3 / 16
	p.PebbleMemTable = min(budget/16, 64<<20)
	p.PebbleConflictLog = int(min(budget/16, 64<<20))
	// Pebble's manual allocations (cache blocks, memtable arenas) are C
	// memory with cgo and Go heap without it; either way they count
	// against the process, and the Go limit covers only the heap, so it is
	// set to the rest. Two memtables are usually live (the mutable one and
	// one flushing).
	p.GoLimit = budget - p.PebbleCache - 2*p.PebbleMemTable - budget/8
	return p, nil
}

// ApplyGoMemoryLimit sets the Go runtime's soft memory limit from the
// plan of budget, unless GOMEMLIMIT is set (the operator's choice wins). It
// returns the limit in effect. The limit is the process's, so the command
// calls it, not Start (tests run many servers in one process).
func ApplyGoMemoryLimit(budget int64) (int64, error) {
	p, err := PlanMemory(budget)
	if err != nil {
		return 0, err
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), nil
	}
	debug.SetMemoryLimit(p.GoLimit)
	return p.GoLimit, nil
}
