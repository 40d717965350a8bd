// Package md5x computes the MD5 of large bodies (the ETag of a PUT or an
// UploadPart) on one shared multi-stream hasher, so that concurrent uploads
// hash side by side in the AVX2 lanes of github.com/minio/md5-simd instead
// of one scalar crypto/md5 each. MD5 has no hardware instruction; it was
// about half of a 16 MiB PUT's server CPU (docs/benchmarks.md, "Multi-stream
// MD5").
//
// One Server per process: it owns the md5-simd server and a fixed set of
// registered streams (slots), started on first use and stopped by Close.
// Hash hands out a slot for a body of at least Options.Threshold bytes and
// crypto/md5 otherwise: for small bodies, without AVX2, once every slot is
// taken, or after Close. Both give the same digest.
//
// Slots are reused (Reset), never closed one by one: md5-simd v1.1.2 does
// not forget a closed stream (its client table keeps it and polls it on
// every round), so creating and closing a stream per request would slow
// the hasher down without bound. A slot comes back when its Hash is Closed,
// or, for a Hash dropped without Close (a request abandoned mid-body), when
// the garbage collector finds it unreachable; an abandoned stream leaves
// nothing in the slot for the next one.
//
// Writes are gathered into 128 KiB batches (md5-simd's 32 KiB blocks):
// it hashes all lanes of a round to the longest one, so short writes would
// waste the other lanes.
//
// What it gains depends on how many large bodies hash at once: md5-simd
// fills its 8-lane AVX2 pass only with streams that have a block queued
// when it looks, and hashes one or two with its scalar code behind a
// hand-off. On 2 cores the benchmark gives 0.8-0.9 CPU ns per byte at 8
// streams against crypto/md5's 1.65, but about 1.5 at 4 and more than
// crypto/md5 at 1-2 (MinStreams); in the server, put16m with 8 clients
// took 11% less CPU per byte and with 4 clients the same as crypto/md5
// (docs/benchmarks.md, "Multi-stream MD5").
package md5x
