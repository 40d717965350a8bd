package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"coffer/internal/acl"
	"coffer/internal/errs"
)

// The wire forms of ACLs: the AccessControlPolicy XML document
// (PutBucketAcl/PutObjectAcl bodies, GetBucketAcl/GetObjectAcl answers) and
// the x-amz-grant-* request headers.
//
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html

const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// aclDocIn is the AccessControlPolicy as clients send it. The grantee type
// is read from any attribute named "type" (xsi:type), declared namespace
// or not.
type aclDocIn struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *struct {
		ID          string `xml:"ID"`
		DisplayName string `xml:"DisplayName"`
	} `xml:"Owner"`
	List *struct {
		Grants []struct {
			Grantee *struct {
				Attrs        []xml.Attr `xml:",any,attr"`
				ID           string     `xml:"ID"`
				URI          string     `xml:"URI"`
				EmailAddress string     `xml:"EmailAddress"`
			} `xml:"Grantee"`
			Permission string `xml:"Permission"`
		} `xml:"Grant"`
	} `xml:"AccessControlList"`
}

// parsedACLDoc is an AccessControlPolicy document: its grants and the
// owner id it names ("" when it names none).
type parsedACLDoc struct {
	OwnerID string
	Grants  []acl.Grant
}

func malformedACL() error {
	return errs.New(errs.MalformedACL, "The XML you provided was not well-formed or did not validate against our published schema")
}

// parseACLXML parses an AccessControlPolicy body. Anything that is not a
// well-formed document of that schema is MalformedACLError, as in AWS; a
// grant of an unknown group is InvalidArgument; more than acl.MaxGrants
// grants is MalformedACLError.
func parseACLXML(data []byte) (parsedACLDoc, error) {
	var out parsedACLDoc
	var doc aclDocIn
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return out, malformedACL()
	}
	for { // nothing but whitespace and comments may follow
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, malformedACL()
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return out, malformedACL()
			}
		case xml.Comment, xml.ProcInst:
		default:
			return out, malformedACL()
		}
	}
	if doc.Owner == nil || doc.List == nil {
		return out, malformedACL()
	}
	out.OwnerID = strings.TrimSpace(doc.Owner.ID)
	if len(doc.List.Grants) > acl.MaxGrants {
		return out, malformedACL()
	}
	for _, g := range doc.List.Grants {
		if g.Grantee == nil {
			return out, malformedACL()
		}
		typ := ""
		for _, a := range g.Grantee.Attrs {
			if a.Name.Local == "type" {
				typ = a.Value
			}
		}
		perm := acl.Permission(strings.TrimSpace(g.Permission))
		if !perm.Valid() {
			return out, malformedACL()
		}
		var ge acl.Grantee
		switch acl.GranteeType(typ) {
		case acl.CanonicalUser:
			ge = acl.Grantee{Type: acl.CanonicalUser, ID: strings.TrimSpace(g.Grantee.ID)}
			if ge.ID == "" {
				return out, malformedACL()
			}
		case acl.Group:
			ge = acl.Grantee{Type: acl.Group, URI: strings.TrimSpace(g.Grantee.URI)}
			if !acl.KnownGroup(ge.URI) {
				return out, errs.Field(errs.InvalidArgument, "Grantee", "Invalid group uri")
			}
		case acl.Email:
			ge = acl.Grantee{Type: acl.Email, Email: strings.TrimSpace(g.Grantee.EmailAddress)}
			if ge.Email == "" {
				return out, malformedACL()
			}
		default:
			return out, malformedACL()
		}
		out.Grants = append(out.Grants, acl.Grant{Grantee: ge, Permission: perm})
	}
	return out, nil
}

// grantHeaders are the x-amz-grant-* headers and the permission each gives.
var grantHeaders = []struct {
	name string
	perm acl.Permission
}{
	{"X-Amz-Grant-Read", acl.Read},
	{"X-Amz-Grant-Write", acl.Write},
	{"X-Amz-Grant-Read-Acp", acl.ReadACP},
	{"X-Amz-Grant-Write-Acp", acl.WriteACP},
	{"X-Amz-Grant-Full-Control", acl.FullControl},
}

// parseGrantHeader parses one x-amz-grant-* value: a comma-separated list
// of type=value pairs, type one of id, uri and emailAddress (any case),
// value optionally in double quotes, e.g.
//
//	id="79a59df9...", uri="http://acs.amazonaws.com/groups/global/AllUsers"
func parseGrantHeader(v string, perm acl.Permission) ([]acl.Grant, error) {
	bad := func() error {
		return errs.Field(errs.InvalidArgument, "x-amz-grant", "Argument format not recognized")
	}
	var out []acl.Grant
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, bad()
		}
		k, val, ok := strings.Cut(item, "=")
		if !ok {
			return nil, bad()
		}
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		if val == "" || strings.ContainsRune(val, '"') {
			return nil, bad()
		}
		var g acl.Grantee
		switch strings.ToLower(k) {
		case "id":
			g = acl.Grantee{Type: acl.CanonicalUser, ID: val}
		case "uri":
			if !acl.KnownGroup(val) {
				return nil, errs.Field(errs.InvalidArgument, "x-amz-grant", "Invalid group uri")
			}
			g = acl.Grantee{Type: acl.Group, URI: val}
		case "emailaddress":
			g = acl.Grantee{Type: acl.Email, Email: val}
		default:
			return nil, bad()
		}
		out = append(out, acl.Grant{Grantee: g, Permission: perm})
	}
	return out, nil
}

// aclRequest is what a request says about the ACL it sets: a canned ACL
// (x-amz-acl), grant headers, or neither.
type aclRequest struct {
	Canned string
	Grants []acl.Grant
	// Given reports that x-amz-acl or some x-amz-grant-* header is present.
	Given bool
}

// hasACLHeaders reports whether h carries x-amz-acl or a grant header.
func hasACLHeaders(h http.Header) bool {
	if h.Get("X-Amz-Acl") != "" {
		return true
	}
	for _, g := range grantHeaders {
		if h.Get(g.name) != "" {
			return true
		}
	}
	return false
}

// parseACLHeaders reads x-amz-acl and the x-amz-grant-* headers through
// get (a request's headers, or a POST form's fields). Both at once is
// InvalidRequest, as in AWS; an unknown canned ACL is InvalidArgument.
func parseACLHeaders(get func(string) string) (aclRequest, error) {
	var out aclRequest
	out.Canned = strings.TrimSpace(get("X-Amz-Acl"))
	if out.Canned != "" {
		out.Given = true
		if _, err := acl.Canned(out.Canned, "", "", false); err != nil {
			return out, errs.Field(errs.InvalidArgument, "x-amz-acl", "Invalid canned ACL: %s", out.Canned)
		}
	}
	for _, h := range grantHeaders {
		v := get(h.name)
		if v == "" {
			continue
		}
		if out.Canned != "" {
			return out, errs.New(errs.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
		}
		gs, err := parseGrantHeader(v, h.perm)
		if err != nil {
			return out, err
		}
		out.Given = true
		out.Grants = append(out.Grants, gs...)
	}
	if len(out.Grants) > acl.MaxGrants {
		return out, malformedACL()
	}
	return out, nil
}

// aclDocOut is the AccessControlPolicy as Coffer renders it.
type aclDocOut struct {
	XMLName xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ AccessControlPolicy"`
	Owner   ownerXML      `xml:"Owner"`
	Grants  []aclGrantOut `xml:"AccessControlList>Grant"`
}

type aclGrantOut struct {
	Grantee    aclGranteeOut `xml:"Grantee"`
	Permission string        `xml:"Permission"`
}

type aclGranteeOut struct {
	XMLNSXSI     string `xml:"xmlns:xsi,attr"`
	Type         string `xml:"xsi:type,attr"`
	ID           string `xml:"ID,omitempty"`
	DisplayName  string `xml:"DisplayName,omitempty"`
	URI          string `xml:"URI,omitempty"`
	EmailAddress string `xml:"EmailAddress,omitempty"`
}
