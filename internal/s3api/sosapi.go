package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coffer/internal/errs"
)

// Veeam's Smart Object Storage API (SOSAPI 1.0): Veeam Backup & Replication
// reads two XML objects under a fixed prefix of the repository's bucket to
// learn what the storage offers (system.xml) and how much room is left
// (capacity.xml). https://helpcenter.veeam.com/docs/vbr/userguide/sosapi.html
// describes the feature; the element names and rules are those of Veeam's
// vendor document (Veeam-SOSAPI_1.0_Document, v1.02d), which is not public:
// docs/s3.md ("Veeam SOSAPI") lists what was checked against what.
//
// Coffer serves them as virtual objects of every bucket: GET and HEAD
// answer them from the bucket's record after the ordinary authorization
// (s3:GetObject on the key, so the bucket's own credentials read them);
// they are never stored and so never listed. capacity.xml reports the
// bucket's quota (Capacity = quota, Used = the bucket's logical bytes,
// Available = what is left) or, for a bucket without one, the data
// directory's filesystem (Capacity = its size, Available = its free space,
// Used = the bucket's logical bytes). A PUT of either key (a vendor's setup
// script uploading its own copy) is accepted and discarded, and a DELETE
// answers 204: what Veeam reads always describes this server.

// The SOSAPI keys.
const (
	sosapiPrefix   = ".system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c/"
	sosapiSystem   = sosapiPrefix + "system.xml"
	sosapiCapacity = sosapiPrefix + "capacity.xml"
)

func isSOSAPIKey(key string) bool { return key == sosapiSystem || key == sosapiCapacity }

// sosapiSystemXML is system.xml. Veeam's document quotes the string values
// inside the elements ("1.0"). It has no SystemRecommendations section:
// the document says there is none by default, and that a vendor sets its
// values (S3ConcurrentTaskLimit, S3MultiObjectDeleteLimit,
// StorageConcurrentTasksLimit, KbBlockSize) only with Veeam's approval;
// without it Veeam uses its defaults (64 S3 operations per task, 1,000 keys
// per DeleteObjects, every repository task slot, 1 MiB blocks), all of
// which Coffer serves. Neither are APIEndpoints given (mandatory only with
// IAMSTS, which Coffer does not offer).
type sosapiSystemXML struct {
	XMLName              xml.Name `xml:"SystemInfo"`
	ProtocolVersion      string   `xml:"ProtocolVersion"`
	ModelName            string   `xml:"ModelName"`
	ProtocolCapabilities struct {
		CapacityInfo   bool `xml:"CapacityInfo"`
		UploadSessions bool `xml:"UploadSessions"`
		IAMSTS         bool `xml:"IAMSTS"`
	} `xml:"ProtocolCapabilities"`
}

type sosapiCapacityXML struct {
	XMLName   xml.Name `xml:"CapacityInfo"`
	Capacity  int64    `xml:"Capacity"`
	Available int64    `xml:"Available"`
	Used      int64    `xml:"Used"`
}

// sosapiSystemDoc renders system.xml. The model name carries the version,
// as the document asks ("model name of the vendor plus version, for
// statistical analysis").
func sosapiSystemDoc(capacity bool, version string) []byte {
	var d sosapiSystemXML
	d.ProtocolVersion = `"1.0"`
	model := "Coffer"
	if version = strings.Map(func(r rune) rune {
		if r == '"' || r < ' ' {
			return -1
		}
		return r
	}, version); version != "" {
		model += " " + version
	}
	d.ModelName = `"` + model + `"`
	d.ProtocolCapabilities.CapacityInfo = capacity
	return sosapiRender(d)
}

// sosapiCapacityDoc renders capacity.xml from a quota (0: none), the
// bucket's used bytes and the filesystem's size and free bytes.
func sosapiCapacityDoc(quota, used, fsTotal, fsFree int64) []byte {
	d := sosapiCapacityXML{Used: used}
	if quota > 0 {
		d.Capacity, d.Available = quota, max(quota-used, 0)
	} else {
		d.Capacity, d.Available = fsTotal, fsFree
	}
	return sosapiRender(d)
}

func sosapiRender(v any) []byte {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	// encoding/xml escapes the quotes Veeam's document shows as is.
	out = bytes.ReplaceAll(out, []byte("&#34;"), []byte(`"`))
	return append([]byte(xml.Header), append(out, '\n')...)
}

// sosapiObject answers GET or HEAD of a SOSAPI key.
func (s *server) sosapiObject(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	canFS := s.opts.DiskSpace != nil
	var doc []byte
	if ri.Op.Key == sosapiSystem {
		doc = sosapiSystemDoc(canFS || b.QuotaBytes > 0, s.opts.Version)
	} else {
		var total, free int64
		if b.QuotaBytes <= 0 {
			if !canFS {
				return nil, errs.New(errs.NoSuchKey, "The specified key does not exist.")
			}
			if total, free, err = s.opts.DiskSpace(); err != nil {
				return nil, errs.Wrap(errs.Internal, err, "SOSAPI capacity")
			}
		}
		doc = sosapiCapacityDoc(b.QuotaBytes, b.UsedBytes, total, free)
	}
	sum := md5.Sum(doc)
	resp := &response{Body: io.NopCloser(bytes.NewReader(doc))}
	resp.setHeader("Content-Type", "application/xml")
	resp.setHeader("Content-Length", strconv.Itoa(len(doc)))
	resp.setHeader("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
	resp.setETag(hex.EncodeToString(sum[:]))
	return resp, nil
}

// sosapiPut accepts and discards an upload of a SOSAPI key: the body is
// read through the usual verification chain, nothing is stored.
func (s *server) sosapiPut(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if _, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket); err != nil {
		return nil, err
	}
	body, _, err := s.objectBody(ri, r)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(body, 1<<20+1)); err != nil {
		return nil, err
	}
	if body.Size() > 1<<20 {
		return nil, errs.New(errs.EntityTooLarge, "A SOSAPI document is at most 1 MiB")
	}
	resp := &response{}
	resp.setETag(body.MD5Hex())
	return resp, nil
}

// sosapiKey reports whether a request's key is a SOSAPI key, for the hooks
// in object.go.
func sosapiKey(ri *requestInfo) bool {
	return strings.HasPrefix(ri.Op.Key, sosapiPrefix) && isSOSAPIKey(ri.Op.Key)
}
