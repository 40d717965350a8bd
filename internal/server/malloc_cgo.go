//go:build cgo && linux

package server

/*
#include <malloc.h>

// coffer_malloc_tune caps glibc's malloc arenas and fixes its mmap
// threshold; it returns 0 where the C library has neither (musl).
static int coffer_malloc_tune(int arenas, int mmap_threshold) {
#if defined(M_ARENA_MAX) && defined(M_MMAP_THRESHOLD)
	return mallopt(M_ARENA_MAX, arenas) == 1 && mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1;
#else
	return 0;
#endif
}
*/
import "C"

import "os"

// With cgo, Pebble allocates its block cache and memtables with C's
// malloc, from whatever OS thread runs the Go code at that moment. glibc
// gives threads that contend for an arena arenas of their own, up to eight
// per core, and memory freed in one (cache blocks evicted, a flushed
// memtable) stays resident for that arena's next allocations. A bulk delete
// of 60,000 objects peaked at 119.7 MiB with one client and 142.6 MiB with
// four; with two arenas, 102-113 MiB (docs/benchmarks.md). Pebble's C
// allocations are few and large (32 KiB blocks, 8 MiB memtables), so two
// arenas hardly contend.
//
// The mmap threshold is fixed because glibc raises it to the size of each
// mmapped block freed: after the first memtable is freed, the next ones
// come from an arena instead of a mapping of their own, and are not given
// back to the system when freed.
const (
	mallocArenas        = 2
	mallocMmapThreshold = 256 << 10
)

// TuneMalloc applies the limits above to the process's C allocator, unless
// the operator set either through the environment (glibc reads
// MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ itself). It reports whether
// they were applied. Like the Go memory limit it is the process's, so the
// command calls it, early, before Pebble allocates.
func TuneMalloc() bool {
	if os.Getenv("MALLOC_ARENA_MAX") != "" || os.Getenv("MALLOC_MMAP_THRESHOLD_") != "" {
		return false
	}
	return C.coffer_malloc_tune(mallocArenas, mallocMmapThreshold) == 1
}
