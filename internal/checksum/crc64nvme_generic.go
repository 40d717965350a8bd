//go:build !amd64 || purego

package checksum

func update(crc uint64, p []byte) uint64 { return updateGeneric(crc, p) }

const haveCLMUL = false
