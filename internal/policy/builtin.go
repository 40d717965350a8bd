package policy

// BuiltInNames are the read-only object-store-server policies ONTAP creates
// on every SVM.
var builtInNames = []string{"FullAccess", "NoS3Access", "ReadOnlyAccess"}

// BuiltInNames returns the names of the built-in policies.
func BuiltInNames() []string { return append([]string(nil), builtInNames...) }

// BuiltIn returns the built-in ONTAP policy of that name (exact case), and
// whether it exists: "FullAccess" allows every S3 action on every resource,
// "NoS3Access" denies every S3 action on every resource, "ReadOnlyAccess"
// allows s3:Get* and s3:List* on every resource. They carry no principals:
// they are identity policies, applying to the members of the groups that
// attach them.
func BuiltIn(name string) (Document, bool) {
	return builtIn(name)
}

func builtIn(name string) (Document, bool) {
	var s Statement
	switch name {
	case "FullAccess":
		s = Statement{Effect: EffectAllow, Actions: []string{"s3:*"}}
	case "NoS3Access":
		s = Statement{Effect: EffectDeny, Actions: []string{"s3:*"}}
	case "ReadOnlyAccess":
		s = Statement{Effect: EffectAllow, Actions: []string{"s3:Get*", "s3:List*"}}
	default:
		return Document{}, false
	}
	s.Sid = name
	s.Resources = []string{serviceResource}
	d := Document{Version: Version2012, Statements: []Statement{s}}
	if err := d.Compile(); err != nil {
		panic("policy: built-in policy " + name + ": " + err.Error())
	}
	return d, true
}
