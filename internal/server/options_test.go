package server

import (
	"strings"
	"testing"
)

func TestValidateKMSOptions(t *testing.T) {
	good := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		name string
		o    Options
		want string // "" means valid
	}{
		{"default", Options{}, ""},
		{"file", Options{KMSMasterKeyFile: "/etc/coffer/master.key"}, ""},
		{"env hex", Options{KMSMasterKey: good}, ""},
		{"env base64", Options{KMSMasterKey: "DwsPDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8="}, ""},
		{"both", Options{KMSMasterKey: good, KMSMasterKeyFile: "/k"}, "cannot be given together"},
		{"short", Options{KMSMasterKey: "abcd"}, "COFFER_KMS_MASTER_KEY"},
	} {
		err := tc.o.withDefaults().Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
