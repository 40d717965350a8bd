package server

import "syscall"

// diskSpace reports the size and the bytes free to unprivileged users of
// the filesystem holding dir (Veeam's SOSAPI capacity.xml).
func diskSpace(dir string) func() (total, free int64, err error) {
	return func() (int64, int64, error) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			return 0, 0, err
		}
		return int64(st.Blocks) * st.Bsize, int64(st.Bavail) * st.Bsize, nil
	}
}
