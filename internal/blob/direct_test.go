package blob

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// TestDirectWrites checks large blobs written through O_DIRECT (where the
// filesystem has it) read back exactly, for sizes that end mid-block and
// for every way of feeding the writer, whatever part is written buffered
// first.
func TestDirectWrites(t *testing.T) {
	for _, after := range []int64{directAlign, 2 << 20, 0, -1} {
		t.Run(fmt.Sprint("DirectAfter=", after), func(t *testing.T) { testDirectWrites(t, after) })
	}
}

func testDirectWrites(t *testing.T, after int64) {
	s, err := Open(Options{Dir: t.TempDir(), DirectAfter: after})
	if err != nil {
		t.Fatal(err)
	}
	sawDirect := false
	for _, size := range []int{smallBufSize*3 + 17, 2<<20 + 4095, 3<<20 + 1, 4 << 20} {
		data := make([]byte, size)
		rand.Read(data)
		for _, mode := range []string{"ReadFrom", "Write-small", "Write-large"} {
			w, err := s.Create()
			if err != nil {
				t.Fatal(err)
			}
			switch mode {
			case "ReadFrom":
				_, err = w.ReadFrom(bytes.NewReader(data))
			case "Write-small":
				for off := 0; off < len(data) && err == nil; off += 1000 {
					_, err = w.Write(data[off:min(off+1000, len(data))])
				}
			case "Write-large":
				_, err = w.Write(data)
			}
			if err != nil {
				t.Fatalf("%s %d: %v", mode, size, err)
			}
			sawDirect = sawDirect || w.direct
			// Buffered until DirectAfter (the default when 0), never when negative.
			limit := after
			if limit == 0 {
				limit = DefaultDirectAfter
			}
			if w.direct && (after < 0 || int64(size) < limit) {
				t.Fatalf("%s %d: O_DIRECT with DirectAfter %d", mode, size, after)
			}
			id, err := w.Commit()
			if err != nil {
				t.Fatalf("%s %d: commit: %v", mode, size, err)
			}
			h, err := s.Open(id)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(io.NewSectionReader(h, 0, h.Size()))
			h.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s %d: read back %d bytes, equal=%v, err %v", mode, size, len(got), bytes.Equal(got, data), err)
			}
		}
	}
	if after < 0 || after >= 4<<20 {
		return
	}
	if runtime.GOOS == "linux" && !sawDirect {
		t.Log("the test directory's filesystem refused O_DIRECT; buffered writes were tested instead")
	}
}
