package s3api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Listing handlers: ListObjects (v1), ListObjectsV2, ListObjectVersions,
// ListMultipartUploads. Order, delimiters and paging are the object layer's;
// these parse parameters and render.

const defaultMaxKeys = 1000

// maxParam parses a max-keys style parameter: default when absent, capped at
// 1000, an error when not a non-negative integer.
func maxParam(q url.Values, name string) (int, error) {
	vs, ok := q[name]
	if !ok {
		return defaultMaxKeys, nil
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < 0 {
		return 0, errs.Field(errs.InvalidArgument, name, "Provided %s not an integer or within integer range", name)
	}
	return min(n, defaultMaxKeys), nil
}

// listEncoder applies encoding-type=url to the listing's keys and prefixes.
type listEncoder bool

func parseEncodingType(q url.Values) (listEncoder, error) {
	switch q.Get("encoding-type") {
	case "":
		return false, nil
	case "url":
		return true, nil
	}
	return false, errs.Field(errs.InvalidArgument, "encoding-type", "Invalid Encoding Method specified in Request")
}

func (e listEncoder) enc(s string) string {
	if e {
		return s3URLEncode(s)
	}
	return s
}

func (e listEncoder) typeName() string {
	if e {
		return "url"
	}
	return ""
}

func (e listEncoder) prefixes(ps []string) []commonPrefixXML {
	out := make([]commonPrefixXML, len(ps))
	for i, p := range ps {
		out[i] = commonPrefixXML{Prefix: e.enc(p)}
	}
	return out
}

func storageClass(m objects.Metadata) string {
	if m.StorageClass != "" {
		return m.StorageClass
	}
	return "STANDARD"
}

// objects renders a page of objects; ow nil leaves the owners out
// (fetch-owner not set).
func (e listEncoder) objects(objs []objects.ObjectInfo, ow *owners) []objectXML {
	if len(objs) == 0 {
		return nil
	}
	strs := newPageStrings(objs)
	out := make([]objectXML, len(objs))
	for i := range objs {
		out[i] = e.object(&objs[i], ow, strs.lastModified(i), strs.etag(i))
	}
	return out
}

// pageStrings holds the LastModified and quoted ETag of every object of a
// page in one string: formatted one by one they were two allocations per
// key, a third of a listing's.
type pageStrings struct {
	all  string
	ends []int32 // per object: end of its LastModified, end of its ETag
}

func newPageStrings(objs []objects.ObjectInfo) pageStrings {
	n := 0
	for i := range objs {
		n += len(isoLayout) + len(objs[i].ETag) + 2
	}
	buf := make([]byte, 0, n)
	ends := make([]int32, 0, 2*len(objs))
	for i := range objs {
		buf = appendISOTime(buf, objs[i].LastModified)
		ends = append(ends, int32(len(buf)))
		if et := objs[i].ETag; len(et) >= 2 && et[0] == '"' && et[len(et)-1] == '"' { // as quoteETag
			buf = append(buf, et...)
		} else {
			buf = append(append(append(buf, '"'), et...), '"')
		}
		ends = append(ends, int32(len(buf)))
	}
	return pageStrings{all: string(buf), ends: ends}
}

func (p pageStrings) start(j int) int32 {
	if j == 0 {
		return 0
	}
	return p.ends[j-1]
}

func (p pageStrings) lastModified(i int) string { return p.all[p.start(2*i):p.ends[2*i]] }
func (p pageStrings) etag(i int) string         { return p.all[p.start(2*i+1):p.ends[2*i+1]] }

// object renders o, with its LastModified and quoted ETag already
// formatted; ow nil leaves the owner out.
func (e listEncoder) object(o *objects.ObjectInfo, ow *owners, lastModified, etag string) objectXML {
	x := objectXML{
		Key:          e.enc(o.Key),
		LastModified: lastModified,
		ETag:         etag,
		Size:         o.Size,
		StorageClass: storageClass(o.Meta),
	}
	if !o.Checksum.IsZero() {
		x.ChecksumAlgorithm = string(o.Checksum.Algorithm)
		x.ChecksumType = checksumType(o.Checksum)
	}
	if ow != nil {
		x.Owner = ow.object(o.Owner)
	}
	return x
}

// listInput reads the parameters ListObjects v1 and v2 share.
func listInput(ri *requestInfo) (objects.ListInput, listEncoder, error) {
	q := ri.Op.Query
	in := objects.ListInput{Tenant: ri.Tenant(), Bucket: ri.Op.Bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter")}
	var err error
	if in.MaxKeys, err = maxParam(q, "max-keys"); err != nil {
		return in, false, err
	}
	enc, err := parseEncodingType(q)
	return in, enc, err
}

func (s *server) listObjectsV1(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	in, enc, err := listInput(ri)
	if err != nil {
		return nil, err
	}
	in.After = ri.Op.Query.Get("marker")
	out, err := s.be.ListObjects(ctx, in)
	if err != nil {
		return nil, err
	}
	res := listBucketResult{
		Name:           ri.Op.Bucket,
		Prefix:         enc.enc(in.Prefix),
		Marker:         enc.enc(in.After),
		MaxKeys:        in.MaxKeys,
		Delimiter:      enc.enc(in.Delimiter),
		IsTruncated:    out.IsTruncated,
		EncodingType:   enc.typeName(),
		CommonPrefixes: enc.prefixes(out.CommonPrefixes),
	}
	// AWS returns NextMarker only with a delimiter; without one, clients
	// continue from the last key.
	if out.IsTruncated && in.Delimiter != "" {
		res.NextMarker = enc.enc(out.NextAfter)
	}
	ow, err := s.objectOwners(ctx, ri)
	if err != nil {
		return nil, err
	}
	res.Contents = enc.objects(out.Objects, ow)
	return &response{rawXML: res.appendXML(getXMLBuf())}, nil
}

func (s *server) listObjectsV2(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	in, enc, err := listInput(ri)
	if err != nil {
		return nil, err
	}
	q := ri.Op.Query
	startAfter := q.Get("start-after")
	in.After = startAfter
	token, hasToken := q["continuation-token"]
	if hasToken {
		if in.After, err = decodeToken(token[0], "continuation-token"); err != nil {
			return nil, err
		}
	}
	var ow *owners
	if q.Get("fetch-owner") == "true" {
		var err error
		if ow, err = s.objectOwners(ctx, ri); err != nil {
			return nil, err
		}
	}
	out, err := s.be.ListObjects(ctx, in)
	if err != nil {
		return nil, err
	}
	res := listBucketV2Result{
		Name:           ri.Op.Bucket,
		Prefix:         enc.enc(in.Prefix),
		StartAfter:     enc.enc(startAfter),
		KeyCount:       len(out.Objects) + len(out.CommonPrefixes),
		MaxKeys:        in.MaxKeys,
		Delimiter:      enc.enc(in.Delimiter),
		EncodingType:   enc.typeName(),
		IsTruncated:    out.IsTruncated,
		CommonPrefixes: enc.prefixes(out.CommonPrefixes),
	}
	if hasToken {
		res.ContinuationToken = token[0]
	}
	if out.IsTruncated {
		res.NextContinuationToken = encodeToken(out.NextAfter)
	}
	res.Contents = enc.objects(out.Objects, ow)
	return &response{rawXML: res.appendXML(getXMLBuf())}, nil
}

func (s *server) listObjectVersions(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	q := ri.Op.Query
	in := objects.ListVersionsInput{
		Tenant: ri.Tenant(), Bucket: ri.Op.Bucket,
		Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), VersionIDMarker: q.Get("version-id-marker"),
	}
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return nil, errs.Field(errs.InvalidArgument, "version-id-marker", "A version-id marker cannot be specified without a key marker.")
	}
	var err error
	if in.MaxKeys, err = maxParam(q, "max-keys"); err != nil {
		return nil, err
	}
	enc, err := parseEncodingType(q)
	if err != nil {
		return nil, err
	}
	out, err := s.be.ListObjectVersions(ctx, in)
	if err != nil {
		return nil, err
	}
	res := listVersionsResult{
		Name:            ri.Op.Bucket,
		Prefix:          enc.enc(in.Prefix),
		KeyMarker:       enc.enc(in.KeyMarker),
		VersionIDMarker: in.VersionIDMarker,
		MaxKeys:         in.MaxKeys,
		Delimiter:       enc.enc(in.Delimiter),
		EncodingType:    enc.typeName(),
		IsTruncated:     out.IsTruncated,
		CommonPrefixes:  enc.prefixes(out.CommonPrefixes),
	}
	if out.IsTruncated {
		res.NextKeyMarker = enc.enc(out.NextKeyMarker)
		res.NextVersionIDMarker = out.NextVersionIDMarker
	}
	ow, err := s.objectOwners(ctx, ri)
	if err != nil {
		return nil, err
	}
	if len(out.Versions) > 0 {
		res.Entries = make([]versionEntryXML, 0, len(out.Versions))
	}
	for i := range out.Versions {
		res.Entries = append(res.Entries, enc.version(&out.Versions[i], ow))
	}
	return &response{rawXML: res.appendXML(getXMLBuf())}, nil
}

func (e listEncoder) version(v *objects.ObjectInfo, ow *owners) versionEntryXML {
	x := versionEntryXML{
		Key:          e.enc(v.Key),
		VersionID:    v.VersionID,
		IsLatest:     v.IsLatest,
		LastModified: isoTime(v.LastModified),
		Owner:        ow.object(v.Owner),
	}
	if x.VersionID == "" {
		x.VersionID = objects.NullVersionID
	}
	if v.DeleteMarker {
		x.Element = "DeleteMarker"
		return x
	}
	x.Element = "Version"
	x.ETag = quoteETag(v.ETag)
	size := v.Size
	x.Size = &size
	x.StorageClass = storageClass(v.Meta)
	if !v.Checksum.IsZero() {
		x.ChecksumAlgorithm = string(v.Checksum.Algorithm)
		x.ChecksumType = checksumType(v.Checksum)
	}
	return x
}

func (s *server) listMultipartUploads(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	q := ri.Op.Query
	in := objects.ListUploadsInput{
		Tenant: ri.Tenant(), Bucket: ri.Op.Bucket,
		Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), UploadIDMarker: q.Get("upload-id-marker"),
	}
	var err error
	if in.MaxUploads, err = maxParam(q, "max-uploads"); err != nil {
		return nil, err
	}
	enc, err := parseEncodingType(q)
	if err != nil {
		return nil, err
	}
	out, err := s.be.ListMultipartUploads(ctx, in)
	if err != nil {
		return nil, err
	}
	res := listMultipartUploadsResult{
		Bucket:             ri.Op.Bucket,
		KeyMarker:          enc.enc(in.KeyMarker),
		UploadIDMarker:     in.UploadIDMarker,
		NextKeyMarker:      enc.enc(out.NextKeyMarker),
		NextUploadIDMarker: out.NextUploadIDMarker,
		Delimiter:          enc.enc(in.Delimiter),
		Prefix:             enc.enc(in.Prefix),
		MaxUploads:         in.MaxUploads,
		IsTruncated:        out.IsTruncated,
		EncodingType:       enc.typeName(),
		CommonPrefixes:     enc.prefixes(out.CommonPrefixes),
	}
	ow := s.owners(ctx, ri)
	for _, u := range out.Uploads {
		o := ow.of(u.Owner)
		res.Uploads = append(res.Uploads, uploadXML{
			Key:               enc.enc(u.Key),
			UploadID:          u.UploadID,
			Initiator:         o,
			Owner:             o,
			StorageClass:      storageClass(u.Meta),
			Initiated:         isoTime(u.Initiated),
			ChecksumAlgorithm: string(u.ChecksumAlgorithm),
			ChecksumType:      string(u.ChecksumType),
		})
	}
	return &response{rawXML: res.appendXML(getXMLBuf())}, nil
}
