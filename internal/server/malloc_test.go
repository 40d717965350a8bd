//go:build cgo && linux

package server

import (
	"path/filepath"
	"testing"
)

func TestTuneMalloc(t *testing.T) {
	for _, env := range []string{"MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_"} {
		t.Run("operator sets "+env, func(t *testing.T) {
			t.Setenv(env, "4")
			if TuneMalloc() {
				t.Fatalf("TuneMalloc overrode %s from the environment", env)
			}
		})
	}
	t.Run("glibc", func(t *testing.T) {
		if musl, _ := filepath.Glob("/lib/ld-musl-*"); len(musl) > 0 {
			t.Skip("musl has no malloc arenas to cap")
		}
		t.Setenv("MALLOC_ARENA_MAX", "")
		t.Setenv("MALLOC_MMAP_THRESHOLD_", "")
		if !TuneMalloc() {
			t.Fatal("TuneMalloc was not applied by glibc's mallopt")
		}
	})
}
