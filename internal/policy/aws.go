package policy

// MaxAWSPolicySize is the largest bucket policy ParseAWS accepts (20 KiB,
// the S3 limit).
const MaxAWSPolicySize = 20 * 1024

// ParseAWS parses AWS bucket-policy JSON into a compiled Document. Errors are
// *errs.Error of kind MalformedPolicy with AWS-like messages ("Policy has
// invalid action", "Invalid principal in policy", ...). A statement without
// Principal is accepted and means every authenticated user of the tenant
// (see the package doc). NotAction, NotResource and NotPrincipal are
// rejected as not supported.
func ParseAWS(b []byte) (Document, error) {
	if len(b) > MaxAWSPolicySize {
		return Document{}, errMalformed("Policies must be less than 20 KB in size")
	}
	return parseAWS(b, false)
}

// MarshalAWS renders d as canonical AWS policy JSON: Version, Statement as an
// array, Principal "*" or {"AWS": [...]} with users as
// "arn:aws:iam:::user/<name>" and groups as "arn:aws:iam:::group/<name>",
// Action and Resource as arrays, Condition as {operator: {key: [values]}}.
// ParseAWS(MarshalAWS(d)) equals d.
func (d Document) MarshalAWS() ([]byte, error) {
	return marshalAWS(d)
}

// MarshalJSON renders d in AWS form, so a Document can be stored as JSON.
func (d Document) MarshalJSON() ([]byte, error) { return marshalAWS(d) }

// UnmarshalJSON parses AWS form and compiles. Unlike ParseAWS it has no
// size limit and accepts an empty Statement array.
func (d *Document) UnmarshalJSON(b []byte) error {
	doc, err := parseAWS(b, true)
	if err != nil {
		return err
	}
	*d = doc
	return nil
}
