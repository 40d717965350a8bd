// Package fsck checks a stopped node's data directory offline (coffer fsck):
// every object version's data is present (a blob file of the recorded size,
// or inline data), its content matches what was recorded when it was written
// (the MD5 ETag of a single-part object, the MD5 of each part of a multipart
// one and the multipart ETag derived from them, the stored x-amz-checksum
// values: per part and combined), the parts of pending multipart uploads
// likewise, and blob files that no record references (orphans) are listed.
//
// It only reads: it opens the metadata store read-only, which also takes
// Pebble's directory lock, so it refuses a data directory a running server
// holds. Encrypted data (SSE) is ciphertext: its presence and file sizes are
// checked, not its content.
package fsck

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
)

// Options configures a check.
type Options struct {
	// DataDir is the data directory of a stopped node (meta/ and data/). Required.
	DataDir string
	// SkipContent checks presence and sizes only, without reading data.
	SkipContent bool
	// Progress, when set, is called after each version or part is checked.
	Progress func(checked int)
}

// Kinds of findings.
const (
	KindMissing      = "missing"     // a referenced blob file does not exist
	KindSize         = "size"        // a blob file (or inline data) has the wrong size
	KindETag         = "etag"        // the data's MD5 differs from the ETag (or a part's)
	KindChecksum     = "checksum"    // the data differs from a stored x-amz-checksum value
	KindUnreadable   = "unreadable"  // a blob file could not be read, or a record decoded
	KindOrphan       = "orphan"      // a blob file that no record references
	KindStray        = "stray"       // a file in the blob directory that is not a blob
	KindGarbageAhead = "garbage"     // not damage: a retired blob awaiting deletion
	KindSkipped      = "skipped"     // not damage: encrypted data, content not checked
	KindRefShared    = "shared-blob" // one blob referenced by two records
)

// Finding is one problem (or notice) found.
type Finding struct {
	Kind string `json:"kind"`
	// Damage is false for notices (pending garbage, skipped content).
	Damage bool `json:"damage"`
	// Where the problem is: an object version, a pending part, or a file.
	Tenant    string `json:"tenant,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	UploadID  string `json:"upload_id,omitempty"`
	Part      int    `json:"part,omitempty"`
	Blob      string `json:"blob,omitempty"`
	Path      string `json:"path,omitempty"`
	Detail    string `json:"detail"`
}

// Report is the outcome of a check.
type Report struct {
	DataDir string `json:"data_dir"`
	// Versions and Parts count the records checked (delete markers included
	// in Versions); Blobs the blob files found; Bytes the object bytes read.
	Versions int   `json:"versions"`
	Parts    int   `json:"pending_parts"`
	Blobs    int   `json:"blob_files"`
	Bytes    int64 `json:"bytes_checked"`
	// Damaged counts the findings that are damage; Orphans the orphan files.
	Damaged  int       `json:"damaged"`
	Orphans  int       `json:"orphans"`
	Findings []Finding `json:"findings"`
}

// Clean reports whether nothing is damaged (orphans are damage: space
// leaks, or data whose record was lost).
func (r *Report) Clean() bool { return r.Damaged == 0 }

// Summary is the one-line outcome.
func (r *Report) Summary() string {
	state := "clean"
	if !r.Clean() {
		state = "DAMAGED"
	}
	return fmt.Sprintf("%s: %s: %d versions, %d pending parts, %d blob files, %d bytes checked; %d problems, %d orphans",
		r.DataDir, state, r.Versions, r.Parts, r.Blobs, r.Bytes, r.Damaged, r.Orphans)
}

func (r *Report) add(f Finding) {
	switch f.Kind {
	case KindGarbageAhead, KindSkipped:
	default:
		f.Damage = true
		r.Damaged++
	}
	if f.Kind == KindOrphan || f.Kind == KindStray {
		r.Orphans++
	}
	r.Findings = append(r.Findings, f)
}

// ErrLocked is returned when a running server holds the data directory.
var ErrLocked = errors.New("the data directory is in use (is a coffer server running on it? stop it first)")

// Run checks opts.DataDir. The error is for a check that could not run
// (no data directory, in use, unreadable metadata); damage is in the Report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.DataDir == "" {
		return nil, errors.New("fsck: no data directory given")
	}
	meta := filepath.Join(opts.DataDir, "meta")
	dataDir := filepath.Join(opts.DataDir, "data")
	for _, d := range []string{meta, dataDir} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("fsck: %s is not a Coffer data directory (no %s)", opts.DataDir, filepath.Base(d))
		}
	}
	store, err := pebble.Open(pebble.Options{Dir: meta, ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) && strings.Contains(err.Error(), "LOCK") ||
			strings.Contains(err.Error(), "lock held") {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("fsck: %w", err)
	}
	defer store.Close()
	blobs, err := blob.Open(blob.Options{Dir: dataDir})
	if err != nil {
		return nil, fmt.Errorf("fsck: %w", err)
	}
	c := &checker{opts: opts, blobs: blobs, rep: &Report{DataDir: opts.DataDir},
		refs: map[string]string{}, garbage: map[string]bool{}}
	err = objects.WalkStored(ctx, store, objects.StoredWalk{
		Version: c.version,
		Part:    c.part,
		Garbage: func(id string) error { c.garbage[id] = true; return nil },
	})
	if err != nil {
		return nil, fmt.Errorf("fsck: reading metadata: %w", err)
	}
	if err := c.files(filepath.Join(dataDir, "blobs")); err != nil {
		return nil, fmt.Errorf("fsck: listing blobs: %w", err)
	}
	sort.SliceStable(c.rep.Findings, func(i, j int) bool { return c.rep.Findings[i].Damage && !c.rep.Findings[j].Damage })
	return c.rep, nil
}

type checker struct {
	opts    Options
	blobs   *blob.Store
	rep     *Report
	refs    map[string]string // blob id → who references it
	garbage map[string]bool
}

func (c *checker) progress() {
	if c.opts.Progress != nil {
		c.opts.Progress(c.rep.Versions + c.rep.Parts)
	}
}

func versionName(v objects.StoredVersion) string {
	return fmt.Sprintf("%s/%s/%s (version %s)", v.Tenant, v.Bucket, v.Key, v.VersionID)
}

func (c *checker) version(v objects.StoredVersion) error {
	c.rep.Versions++
	defer c.progress()
	at := Finding{Tenant: v.Tenant, Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID}
	if v.Err != nil {
		at.Kind, at.Detail = KindUnreadable, "version record: "+v.Err.Error()
		c.rep.add(at)
		return nil
	}
	if v.DeleteMarker {
		return nil
	}
	for _, b := range v.Blobs {
		c.ref(b.ID, versionName(v), at)
	}
	// The data is the inline bytes or the blobs, in order.
	var total int64
	for _, b := range v.Blobs {
		total += b.Size
	}
	if v.Inline != nil {
		total = int64(len(v.Inline))
	}
	if !v.Encrypted && total != v.Size {
		f := at
		f.Kind, f.Detail = KindSize, fmt.Sprintf("the record's data holds %d bytes, the object %d", total, v.Size)
		c.rep.add(f)
	}
	if v.Encrypted && !c.opts.SkipContent {
		f := at
		f.Kind, f.Detail = KindSkipped, "encrypted: presence and sizes checked, not content"
		c.rep.add(f)
	}
	content := !v.Encrypted && !c.opts.SkipContent
	var alg checksum.Algorithm
	if content {
		alg = v.Checksum.Algorithm
	}
	multipart := len(v.Parts) > 0 && len(v.Parts) == len(v.Blobs)
	if v.Inline != nil {
		if content {
			c.rep.Bytes += int64(len(v.Inline))
			md5sum, sum := digest(v.Inline, alg)
			c.compareWhole(at, v, md5sum, sum)
		}
		return nil
	}
	// Per blob: presence, size, and (multipart) the part's MD5 and checksum.
	var md5s []byte
	var partSums []checksum.PartSum
	var partValues []string
	whole := newHashes(checksum.None)
	if content && !multipart {
		whole = newHashes(alg)
	}
	intact := true
	for i, b := range v.Blobs {
		f := at
		f.Blob = b.ID
		if multipart {
			f.Part = v.Parts[i].Number
		}
		part := newHashes(checksum.None)
		if content && multipart {
			part = newHashes(v.Parts[i].Checksum.Algorithm)
			if alg != v.Parts[i].Checksum.Algorithm && alg != checksum.None {
				part = newHashes(alg)
			}
		}
		ok := c.readBlob(f, b, content, func(p []byte) { whole.write(p); part.write(p) })
		intact = intact && ok
		if !ok || !content || !multipart {
			continue
		}
		pm := part.md5.Sum(nil)
		md5s = append(md5s, pm...)
		if got := hex.EncodeToString(pm); got != v.Parts[i].ETag {
			f.Kind, f.Detail = KindETag, fmt.Sprintf("part %d: MD5 %s, recorded %s", v.Parts[i].Number, got, v.Parts[i].ETag)
			c.rep.add(f)
		}
		pc := v.Parts[i].Checksum
		got := part.sum()
		if !pc.IsZero() && pc.Algorithm == part.alg && got != pc.Base64 {
			f.Kind, f.Detail = KindChecksum, fmt.Sprintf("part %d: %s %s, recorded %s", v.Parts[i].Number, pc.Algorithm, got, pc.Base64)
			c.rep.add(f)
		}
		partSums = append(partSums, checksum.PartSum{Base64: got, Size: b.Size})
		partValues = append(partValues, got)
	}
	if !content || !intact {
		return nil
	}
	if !multipart {
		c.compareWhole(at, v, whole.md5.Sum(nil), whole.sum())
		return nil
	}
	sum := md5.Sum(md5s)
	if want := fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(v.Parts)); want != v.ETag {
		f := at
		f.Kind, f.Detail = KindETag, fmt.Sprintf("multipart ETag %s from the parts' data, recorded %s", want, v.ETag)
		c.rep.add(f)
	}
	if alg != checksum.None {
		var cv checksum.Value
		var err error
		if v.Checksum.Type == checksum.TypeFullObject {
			cv, err = checksum.FullObject(alg, partSums)
		} else {
			cv, err = checksum.Composite(alg, partValues)
		}
		if err == nil && cv.Base64 != v.Checksum.Base64 {
			f := at
			f.Kind, f.Detail = KindChecksum, fmt.Sprintf("%s %s from the parts' data, recorded %s", alg, cv.Base64, v.Checksum.Base64)
			c.rep.add(f)
		}
	}
	return nil
}

// compareWhole checks a single-part object's MD5 ETag and checksum.
func (c *checker) compareWhole(at Finding, v objects.StoredVersion, md5sum []byte, sum string) {
	if len(v.Blobs) == 1 {
		at.Blob = v.Blobs[0].ID
	}
	if etag := v.ETag; len(etag) == 32 && !strings.Contains(etag, "-") {
		if got := hex.EncodeToString(md5sum); got != etag {
			f := at
			f.Kind, f.Detail = KindETag, fmt.Sprintf("MD5 %s, ETag %s", got, etag)
			c.rep.add(f)
		}
	}
	if v.Checksum.Algorithm != checksum.None && sum != "" && sum != v.Checksum.Base64 {
		f := at
		f.Kind, f.Detail = KindChecksum, fmt.Sprintf("%s %s, recorded %s", v.Checksum.Algorithm, sum, v.Checksum.Base64)
		c.rep.add(f)
	}
}

func (c *checker) part(p objects.StoredPart) error {
	c.rep.Parts++
	defer c.progress()
	at := Finding{Tenant: p.Tenant, Bucket: p.Bucket, Key: p.Key, UploadID: p.UploadID, Part: p.Number, Blob: p.Blob.ID}
	if p.Err != nil {
		at.Kind, at.Detail = KindUnreadable, "part record: "+p.Err.Error()
		c.rep.add(at)
		return nil
	}
	c.ref(p.Blob.ID, fmt.Sprintf("%s/%s/%s (upload %s part %d)", p.Tenant, p.Bucket, p.Key, p.UploadID, p.Number), at)
	content := !p.Encrypted && !c.opts.SkipContent
	h := newHashes(checksum.None)
	if content {
		h = newHashes(p.Checksum.Algorithm)
	}
	if !c.readBlob(at, p.Blob, content, h.write) || !content {
		return nil
	}
	if got := hex.EncodeToString(h.md5.Sum(nil)); got != p.ETag {
		f := at
		f.Kind, f.Detail = KindETag, fmt.Sprintf("MD5 %s, recorded %s", got, p.ETag)
		c.rep.add(f)
	}
	if !p.Checksum.IsZero() {
		if got := h.sum(); got != p.Checksum.Base64 {
			f := at
			f.Kind, f.Detail = KindChecksum, fmt.Sprintf("%s %s, recorded %s", p.Checksum.Algorithm, got, p.Checksum.Base64)
			c.rep.add(f)
		}
	}
	return nil
}

// ref records that who references blob id.
func (c *checker) ref(id, who string, at Finding) {
	if prev, ok := c.refs[id]; ok {
		f := at
		f.Blob, f.Kind, f.Detail = id, KindRefShared, "blob also referenced by "+prev
		c.rep.add(f)
		return
	}
	c.refs[id] = who
}

// readBlob checks a blob's presence and size and, when content is set,
// feeds its bytes to fn. It reports false when the blob is not intact.
func (c *checker) readBlob(at Finding, b objects.StoredBlob, content bool, fn func([]byte)) bool {
	at.Blob = b.ID
	h, err := c.blobs.Open(blob.ID(b.ID))
	if err != nil {
		f := at
		f.Kind, f.Detail = KindMissing, "blob file is missing"
		if !errorsIsNotFound(err) {
			f.Kind, f.Detail = KindUnreadable, err.Error()
		}
		c.rep.add(f)
		return false
	}
	defer h.Close()
	if h.Size() != b.FileSize {
		f := at
		f.Kind, f.Detail = KindSize, fmt.Sprintf("blob file holds %d bytes, recorded %d", h.Size(), b.FileSize)
		c.rep.add(f)
		return false
	}
	if !content {
		return true
	}
	buf := make([]byte, 1<<20)
	r := io.NewSectionReader(h, 0, h.Size())
	for {
		n, err := r.Read(buf)
		fn(buf[:n])
		c.rep.Bytes += int64(n)
		if err == io.EOF {
			return true
		}
		if err != nil {
			f := at
			f.Kind, f.Detail = KindUnreadable, err.Error()
			c.rep.add(f)
			return false
		}
	}
}

func errorsIsNotFound(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "not found") ||
		strings.Contains(err.Error(), "NoSuch")
}

// files lists the blob directory: orphans (valid blob names nothing
// references, and not pending garbage) and stray files.
func (c *checker) files(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		name := d.Name()
		rel, _ := filepath.Rel(filepath.Dir(root), path)
		if !blob.ID(name).Valid() || !d.Type().IsRegular() || filepath.Base(filepath.Dir(path)) != name[:len(filepath.Base(filepath.Dir(path)))] {
			c.rep.add(Finding{Kind: KindStray, Path: filepath.Join("data", rel), Detail: "not a blob file"})
			return nil
		}
		c.rep.Blobs++
		if _, ok := c.refs[name]; ok {
			return nil
		}
		fi, _ := d.Info()
		size := int64(-1)
		if fi != nil {
			size = fi.Size()
		}
		if c.garbage[name] {
			c.rep.add(Finding{Kind: KindGarbageAhead, Blob: name, Path: filepath.Join("data", rel),
				Detail: "retired blob awaiting garbage collection (" + strconv.FormatInt(size, 10) + " bytes)"})
			return nil
		}
		c.rep.add(Finding{Kind: KindOrphan, Blob: name, Path: filepath.Join("data", rel),
			Detail: "no record references this blob (" + strconv.FormatInt(size, 10) + " bytes)"})
		return nil
	})
}

// hashes computes the MD5 and one flexible checksum of a stream.
type hashes struct {
	md5 hash.Hash
	alg checksum.Algorithm
	h   hash.Hash
}

func newHashes(a checksum.Algorithm) *hashes {
	return &hashes{md5: md5.New(), alg: a, h: checksum.New(a)}
}

func (h *hashes) write(p []byte) {
	h.md5.Write(p)
	if h.h != nil {
		h.h.Write(p)
	}
}

// sum is the base64 checksum, or "" without an algorithm.
func (h *hashes) sum() string {
	if h.h == nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(h.h.Sum(nil))
}

func digest(data []byte, a checksum.Algorithm) ([]byte, string) {
	m := md5.Sum(data)
	return m[:], checksum.Sum(a, data)
}
