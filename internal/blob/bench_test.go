package blob_test

import (
	"bytes"
	"io"
	"testing"

	"coffer/internal/blob"
)

// BenchmarkCommit4K: many clients each storing small objects at once; the
// cost is the two fsyncs per Commit (file, directory).
func BenchmarkCommit4K(b *testing.B) {
	s := openStore(b, blob.OSFS{}, b.TempDir())
	data := payload(1, 4096)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.SetParallelism(8) // fsync-bound: more writers than CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w, err := s.Create()
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := w.Write(data); err != nil {
				b.Error(err)
				return
			}
			if _, err := w.Commit(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkWrite16M: one large object streamed the way an HTTP body
// arrives (io.Copy from a plain reader, so through Writer.ReadFrom),
// committed, then removed outside the timer.
func BenchmarkWrite16M(b *testing.B) {
	s := openStore(b, blob.OSFS{}, b.TempDir())
	data := payload(2, 16<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w, err := s.Create()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, onlyReader{bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
		id, err := w.Commit()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Remove(id)
		b.StartTimer()
	}
}
