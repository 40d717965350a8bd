//go:build !cgo || !linux

package server

// TuneMalloc does nothing without cgo (Pebble's allocations are then Go
// heap, under the Go memory limit) or off Linux; see malloc_cgo.go.
func TuneMalloc() bool { return false }
