package server

import (
	"context"
	"runtime/debug"
	"strings"
	"testing"

	"coffer/internal/kv/pebble"
)

func TestPlanMemory(t *testing.T) {
	def, err := PlanMemory(0)
	if err != nil {
		t.Fatal(err)
	}
	if def.Budget != DefaultMemoryBudget || def.PebbleCache != 24<<20 || def.PebbleMemTable != 8<<20 || def.PebbleConflictLog != 8<<20 {
		t.Fatalf("default plan %+v", def)
	}
	// What is planned stays within the budget, with room for the heap.
	for _, b := range []int64{MinMemoryBudget, DefaultMemoryBudget, 1 << 30, 64 << 30, MaxMemoryBudget} {
		p, err := PlanMemory(b)
		if err != nil {
			t.Fatalf("%d: %v", b, err)
		}
		fixed := p.PebbleCache + 4*p.PebbleMemTable + int64(p.PebbleConflictLog)
		if fixed > b*3/4 || p.GoLimit <= 0 || p.GoLimit+p.PebbleCache+2*p.PebbleMemTable+b/8 != b {
			t.Errorf("budget %d: plan %+v leaves too little for the heap", b, p)
		}
		if p.PebbleMemTable > 64<<20 || p.PebbleMemTable < 1<<20 {
			t.Errorf("budget %d: memtable %d outside Pebble's useful range", b, p.PebbleMemTable)
		}
		// The shares are sizes the embedded store accepts.
		po := pebble.Options{Dir: "x", CacheSize: p.PebbleCache, MemTableSize: p.PebbleMemTable, ConflictLogBytes: p.PebbleConflictLog}
		if err := po.Validate(); err != nil {
			t.Errorf("budget %d: the store refuses the plan: %v", b, err)
		}
	}
	for _, b := range []int64{-1, 1 << 20, MinMemoryBudget - 1, MaxMemoryBudget + 1} {
		if _, err := PlanMemory(b); err == nil {
			t.Errorf("budget %d accepted", b)
		}
		err := Options{MemoryBudget: b}.withDefaults().Validate()
		if err == nil || !strings.Contains(err.Error(), "--memory-budget") {
			t.Errorf("Validate with budget %d: %v", b, err)
		}
	}
	if err := (Options{MemoryBudget: 256 << 20}).withDefaults().Validate(); err != nil {
		t.Errorf("256 MiB budget refused: %v", err)
	}
}

// The budget's shares reach the embedded store.
func TestMemoryBudgetSizesPebble(t *testing.T) {
	p, err := PlanMemory(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	m, err := OpenMetadata(context.Background(), MetadataOptions{DataDir: t.TempDir(),
		Pebble: PebbleMemory{CacheSize: p.PebbleCache, MemTableSize: p.PebbleMemTable, ConflictLogBytes: p.PebbleConflictLog}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Store.(*pebble.Store).Config()
	if c.CacheSize != 12<<20 || c.MemTableSize != 4<<20 || c.ConflictLogBytes != 4<<20 {
		t.Fatalf("pebble runs with cache %d memtable %d conflict log %d, want 12, 4 and 4 MiB", c.CacheSize, c.MemTableSize, c.ConflictLogBytes)
	}
}

func TestApplyGoMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	t.Setenv("GOMEMLIMIT", "")
	got, err := ApplyGoMemoryLimit(256 << 20)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := PlanMemory(256 << 20)
	if got != p.GoLimit || debug.SetMemoryLimit(-1) != p.GoLimit {
		t.Fatalf("limit %d (runtime %d), want %d", got, debug.SetMemoryLimit(-1), p.GoLimit)
	}
	if _, err := ApplyGoMemoryLimit(1 << 20); err == nil {
		t.Fatal("a 1 MiB budget was applied")
	}
	// An operator's GOMEMLIMIT wins.
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	if got, _ := ApplyGoMemoryLimit(128 << 20); got != 1<<30 || debug.SetMemoryLimit(-1) != 1<<30 {
		t.Fatalf("GOMEMLIMIT overridden: %d", got)
	}
}
