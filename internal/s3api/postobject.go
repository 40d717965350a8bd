package s3api

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"

	"coffer/internal/checksum"
	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/objects"
	"coffer/internal/postpolicy"
	"coffer/internal/sigv2"
	"coffer/internal/sigv4"
)

// POST Object: a browser-based upload, a multipart/form-data form whose
// fields say where the file goes and how, authenticated by a signed policy
// document instead of a signed request.
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
//
// The form is read as a stream: the fields before the file are held in
// memory (package postpolicy bounds them), the file goes to the object
// layer as it arrives, and whatever follows the file is never read.

// postHeaderFields are the form fields that stand for the PutObject header
// of the same name.
var postHeaderFields = map[string]bool{
	"cache-control": true, "content-type": true, "content-disposition": true, "content-encoding": true,
	"content-language": true, "expires": true, "x-amz-storage-class": true,
}

func (s *server) postObject(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	boundary, err := postpolicy.Boundary(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	form, err := postpolicy.ReadForm(r.Body, boundary)
	if err != nil {
		return nil, err
	}
	key, ok := form.Get("key")
	if !ok {
		return nil, errs.Field(errs.InvalidArgument, "key",
			"Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	// ${filename} is the name of the user's file; conditions apply to the
	// field as posted.
	key = strings.ReplaceAll(key, "${filename}", form.FileName)
	if key == "" {
		return nil, errs.Field(errs.InvalidArgument, "key", "User key must have a length greater than 0.")
	}
	ri.Op.Key = key

	p, policy, err := s.postPrincipal(ctx, ri, r, form)
	if err != nil {
		return nil, err
	}
	ri.Principal = p
	var lim postpolicy.Limits
	if policy != nil {
		if lim, err = policy.Check(form, ri.Op.Bucket, s.opts.Now()); err != nil {
			return nil, err
		}
	}
	if err := s.authorize(ctx, ri, r, "s3:PutObject", ri.Op.Bucket, key); err != nil {
		return nil, err
	}

	h, tags, err := postFormHeaders(form)
	if err != nil {
		return nil, err
	}
	// The form's tagging field needs s3:PutObjectTagging, as x-amz-tagging
	// on PutObject does.
	if _, ok := form.Get("tagging"); ok {
		if err := s.authorize(ctx, ri, r, "s3:PutObjectTagging", ri.Op.Bucket, key); err != nil {
			return nil, err
		}
	}
	meta, err := metadataFromHeaders(h)
	if err != nil {
		return nil, err
	}
	expect, err := checksum.FromHeaders(h)
	if err != nil {
		return nil, err
	}
	aclBytes, owner, err := s.objectACLForWrite(ctx, ri, ri.Op.Bucket, h.Get)
	if err != nil {
		return nil, err
	}
	// The encryption fields are read as PutObject's headers, with the
	// request's own transport (SSE-C needs TLS).
	hr := *r
	hr.Header = h
	enc, err := s.sseWrite(&hr)
	if err != nil {
		return nil, err
	}
	body, err := checksum.NewReader(&postFileReader{r: form.File, lim: lim, max: s.opts.MaxObjectSize}, expect)
	if err != nil {
		return nil, err
	}
	info, err := s.be.PutObject(ctx, objects.PutInput{
		Tenant: ri.Tenant(), Bucket: ri.Op.Bucket, Key: key,
		Body: body, Size: -1, Meta: meta, Tags: tags, Owner: owner, ACL: aclBytes,
		Encryption: enc,
	})
	if err != nil {
		return nil, err
	}
	resp := postResponse(r, s.opts.Domain, form, ri.Op.Bucket, key, info, body.Requested())
	setSSEHeaders(resp, info.Encryption, enc)
	return resp, nil
}

// postPrincipal authenticates the form: SigV4 (x-amz-algorithm,
// x-amz-credential, x-amz-date, x-amz-signature), SigV2 (AWSAccessKeyId,
// signature), or neither, an anonymous upload. A signed form must carry a
// policy; an anonymous one may, and it is then enforced too.
func (s *server) postPrincipal(ctx context.Context, ri *requestInfo, r *http.Request, form *postpolicy.Form) (core.Principal, *postpolicy.Policy, error) {
	has := func(n string) bool { _, ok := form.Get(n); return ok }
	required := func(n string) (string, error) {
		v, ok := form.Get(n)
		if !ok || v == "" {
			return "", errs.Field(errs.InvalidArgument, n,
				"Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", n)
		}
		return v, nil
	}
	v4 := has("x-amz-signature") || has("x-amz-credential") || has("x-amz-algorithm")
	v2 := has("AWSAccessKeyId") || has("signature")
	if v4 && v2 {
		return core.Principal{}, nil, errs.New(errs.InvalidArgument, "Only one auth mechanism allowed; the form carries both AWSAccessKeyId and x-amz-credential")
	}
	policyB64, hasPolicy := form.Get("policy")
	if !v4 && !v2 {
		p, err := s.anonymous(ctx, ri, r)
		if err != nil {
			return core.Principal{}, nil, err
		}
		if !hasPolicy {
			return p, nil, nil
		}
		policy, err := postpolicy.Parse(policyB64)
		return p, policy, err
	}
	if _, err := required("policy"); err != nil {
		return core.Principal{}, nil, err
	}
	var accessKey, provided string
	var sign func(secret string) string
	compare := func(computed, provided string) bool { return sigv4.SignaturesEqual(computed, provided) }
	if v4 {
		alg, err := required("x-amz-algorithm")
		if err != nil {
			return core.Principal{}, nil, err
		}
		if alg != sigv4.Algorithm {
			return core.Principal{}, nil, errs.Field(errs.InvalidArgument, "x-amz-algorithm",
				"Unsupported algorithm %q; only %s is accepted", alg, sigv4.Algorithm)
		}
		credText, err := required("x-amz-credential")
		if err != nil {
			return core.Principal{}, nil, err
		}
		cred, cerr := sigv4.ParseCredential(credText)
		if cerr != nil || cred.Service != "s3" {
			return core.Principal{}, nil, errs.Field(errs.InvalidArgument, "x-amz-credential",
				`Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
		}
		date, err := required("x-amz-date")
		if err != nil {
			return core.Principal{}, nil, err
		}
		if _, derr := sigv4.ParseAmzDate(date); derr != nil || date[:8] != cred.Date {
			return core.Principal{}, nil, errs.Field(errs.InvalidArgument, "x-amz-date",
				"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\" and on the credential's date")
		}
		if provided, err = required("x-amz-signature"); err != nil {
			return core.Principal{}, nil, err
		}
		accessKey = cred.AccessKey
		sign = func(secret string) string { return sigv4.SignPOSTPolicy(secret, cred, policyB64) }
	} else {
		var err error
		if accessKey, err = required("AWSAccessKeyId"); err != nil {
			return core.Principal{}, nil, err
		}
		if provided, err = required("signature"); err != nil {
			return core.Principal{}, nil, err
		}
		sign = func(secret string) string { return sigv2.Sign(secret, policyB64) }
	}
	cred, err := s.opts.Credentials.Credential(ctx, accessKey)
	if err != nil {
		return core.Principal{}, nil, err
	}
	if !compare(sign(cred.Secret), provided) {
		return core.Principal{}, nil, errs.Wrap(errs.SignatureDoesNotMatch,
			&sigv2.Mismatch{AccessKey: accessKey, StringToSign: policyB64, SignatureProvided: provided}, sigv2.MsgSignatureMismatch)
	}
	policy, err := postpolicy.Parse(policyB64)
	if err != nil {
		return core.Principal{}, nil, err
	}
	return cred.Principal, policy, nil
}

// postFormHeaders turns the fields that stand for PutObject headers into a
// header, so that PutObject's own parsers read them, and parses the tagging
// field (a Tagging XML document).
func postFormHeaders(form *postpolicy.Form) (http.Header, []objects.Tag, error) {
	h := http.Header{}
	var tags []objects.Tag
	for _, f := range form.Fields {
		l := strings.ToLower(f.Name)
		switch {
		case postHeaderFields[l], strings.HasPrefix(l, "x-amz-meta-"), strings.HasPrefix(l, "x-amz-checksum-"):
			h.Add(f.Name, f.Value)
		case l == "tagging":
			t, err := parseTaggingXML([]byte(f.Value))
			if err != nil {
				return nil, nil, err
			}
			tags = t
		case l == "acl":
			// The form's canned ACL is PutObject's x-amz-acl; the grant
			// fields (x-amz-grant-*) pass through postHeaderFields.
			h.Set("X-Amz-Acl", f.Value)
		case strings.HasPrefix(l, "x-amz-grant-"):
			h.Add(f.Name, f.Value)
		case strings.HasPrefix(l, "x-amz-server-side-encryption"):
			// PutObject's SSE headers (SSE-S3, SSE-KMS with key id,
			// context and bucket-key flag, SSE-C), parsed by sseWrite.
			h.Add(f.Name, f.Value)
		}
	}
	return h, tags, nil
}

// postFileReader yields the file's content, enforcing the policy's
// content-length-range (EntityTooLarge as soon as the maximum is passed,
// EntityTooSmall at the end) and the server's object size limit.
type postFileReader struct {
	r   io.Reader
	lim postpolicy.Limits
	max int64
	n   int64
}

func (p *postFileReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.lim.Set && p.n > p.lim.Max {
		return 0, errs.New(errs.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	}
	if p.n > p.max {
		return 0, errs.New(errs.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size of %d bytes", p.max)
	}
	if err == io.EOF {
		if p.lim.Set && p.n < p.lim.Min {
			return n, errs.New(errs.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size")
		}
		return n, io.EOF
	}
	if err != nil {
		return n, typedBodyErr(err)
	}
	return n, nil
}

// postResponseXML is the body of a 201 answer.
type postResponseXML struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postResponse answers per success_action_redirect (303 to that URL with
// bucket, key and etag added to its query) or success_action_status (200
// or 204 without a body, 201 with a PostResponse document; anything else
// is 204, AWS's default).
func postResponse(r *http.Request, domain string, form *postpolicy.Form, bucket, key string, info objects.ObjectInfo, checksums bool) *response {
	resp := &response{Status: http.StatusNoContent}
	resp.setETag(info.ETag)
	setVersionHeader(resp, objectVersion(info))
	if checksums {
		setChecksumHeaders(resp, info.Checksum)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := "/" + bucket + "/" + key
	if _, ok := virtualHostBucket(r.Host, domain); ok {
		path = "/" + key
	}
	location := scheme + "://" + r.Host + (&url.URL{Path: path}).EscapedPath()
	resp.setHeader("Location", location)

	redirect, ok := form.Get("success_action_redirect")
	if !ok {
		redirect, _ = form.Get("redirect")
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		add := "bucket=" + url.QueryEscape(bucket) + "&key=" + url.QueryEscape(key) + "&etag=" + url.QueryEscape(quoteETag(info.ETag))
		if u.RawQuery != "" {
			u.RawQuery += "&" + add
		} else {
			u.RawQuery = add
		}
		resp.Status = http.StatusSeeOther
		resp.setHeader("Location", u.String())
		return resp
	}
	switch status, _ := form.Get("success_action_status"); status {
	case "200":
		resp.Status = http.StatusOK
	case "201":
		resp.Status = http.StatusCreated
		resp.XML = postResponseXML{Location: location, Bucket: bucket, Key: key, ETag: quoteETag(info.ETag)}
	}
	return resp
}
