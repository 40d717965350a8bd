//go:build unix

package main

import "syscall"

// restrictUmask makes every file and directory the server creates
// owner-only. Coffer creates its own files with 0600/0700, but Pebble (the
// metadata store) creates its files 0644 and directories 0755 and has no
// option for modes; a umask of 077 is the one place that covers them. It is
// process-wide, which suits a server that shares its files with no one.
func restrictUmask() { syscall.Umask(0o077) }
