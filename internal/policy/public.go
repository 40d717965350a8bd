package policy

import (
	"net/netip"
	"strings"
)

// IsPublic reports whether d is a public policy in AWS's sense: some Allow
// statement applies to anyone ("*") without a condition that fixes who can
// use it. A condition fixes the caller when it limits aws:SourceIp to CIDR
// blocks no larger than /8 (IPv4) or /32 (IPv6) with IpAddress, or pins one
// of aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner,
// aws:SourceAccount, aws:PrincipalAccount, aws:PrincipalOrgID, aws:userid
// or s3:x-amz-server-side-encryption-aws-kms-key-id to values without
// wildcards with a positive equality operator (StringEquals, ArnEquals, …,
// or a …Like operator whose values have no wildcard). Negated and
// …IfExists operators never fix anything.
//
// Reference: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
func (d Document) IsPublic() bool {
	for i := range d.Statements {
		if statementIsPublic(&d.Statements[i]) {
			return true
		}
	}
	return false
}

func statementIsPublic(s *Statement) bool {
	if s.Effect != EffectAllow {
		return false
	}
	anyone := false
	for _, p := range s.Principals {
		if p == "*" {
			anyone = true
		}
	}
	if !anyone {
		return false
	}
	for _, c := range s.Conditions {
		if conditionFixes(c) {
			return false
		}
	}
	return true
}

// fixingKeys are the condition keys that pin a caller to known values.
var fixingKeys = map[string]bool{
	"aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true, "aws:sourceowner": true,
	"aws:sourceaccount": true, "aws:principalaccount": true, "aws:principalorgid": true,
	"aws:userid": true, "s3:x-amz-server-side-encryption-aws-kms-key-id": true,
}

func conditionFixes(c Condition) bool {
	op := c.Operator
	if strings.HasPrefix(op, "ForAnyValue:") || strings.HasSuffix(op, "IfExists") || len(c.Values) == 0 {
		return false
	}
	op = strings.TrimPrefix(op, "ForAllValues:")
	key := strings.ToLower(c.Key)
	if key == "aws:sourceip" {
		if op != "IpAddress" {
			return false
		}
		for _, v := range c.Values {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				a, aerr := netip.ParseAddr(v)
				if aerr != nil {
					return false
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			if p.Addr().Is4() && p.Bits() < 8 || !p.Addr().Is4() && p.Bits() < 32 {
				return false
			}
		}
		return true
	}
	if !fixingKeys[key] {
		return false
	}
	switch op {
	case "StringEquals", "StringEqualsIgnoreCase", "ArnEquals":
	case "StringLike", "ArnLike":
		for _, v := range c.Values {
			if strings.ContainsAny(v, "*?") {
				return false
			}
		}
	default:
		return false
	}
	for _, v := range c.Values {
		if v == "" || v == "*" {
			return false
		}
	}
	return true
}
