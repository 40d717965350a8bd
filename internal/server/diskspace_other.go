//go:build !linux

package server

// diskSpace is unknown off Linux: buckets without a quota report no
// SOSAPI capacity.
func diskSpace(dir string) func() (total, free int64, err error) { return nil }
