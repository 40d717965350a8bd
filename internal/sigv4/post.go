package sigv4

import "time"

// What a browser-based upload (POST Object) signed with SigV4 needs: its
// form carries x-amz-credential and x-amz-date, and x-amz-signature is the
// hex HMAC of the base64 policy document with the derived signing key.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html

// Algorithm is the only x-amz-algorithm S3 accepts: "AWS4-HMAC-SHA256".
const Algorithm = algorithm

// Credential is "AK/yyyymmdd/region/service/aws4_request" taken apart.
type Credential struct {
	AccessKey, Date, Region, Service string
}

// ParseCredential splits an x-amz-credential value.
func ParseCredential(s string) (Credential, error) {
	c, err := parseCredential(s)
	return Credential{AccessKey: c.accessKey, Date: c.date, Region: c.region, Service: c.service}, err
}

// ParseAmzDate reads an x-amz-date value (ISO 8601 basic, UTC).
func ParseAmzDate(s string) (time.Time, error) { return time.Parse(amzDateLayout, s) }

// SignPOSTPolicy is the x-amz-signature of a POST form: hex(HMAC-SHA256(
// signing key of c, policy)), policy being the form's base64 policy field.
func SignPOSTPolicy(secret string, c Credential, policy string) string {
	key := deriveSigningKey(secret, c.Date, c.Region, c.Service)
	return signatureHex(key[:], policy)
}

// SignaturesEqual compares two signatures in constant time.
func SignaturesEqual(computed, provided string) bool { return signaturesEqual(computed, provided) }
