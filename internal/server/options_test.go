package server

import (
	"strings"
	"testing"
	"time"

	"coffer/internal/s3api"
)

func TestOptions_connectionLimits(t *testing.T) {
	o := Options{}.withDefaults()
	if o.ReadHeaderTimeout != DefaultReadHeaderTimeout || o.IdleTimeout != DefaultIdleTimeout ||
		o.MaxHeaderBytes != DefaultMaxHeaderBytes || o.BodyTimeout != s3api.DefaultBodyTimeout ||
		o.MinBodyRate != s3api.DefaultMinBodyRate || o.AdminReadTimeout != DefaultAdminReadTimeout ||
		o.AdminWriteTimeout != DefaultAdminWriteTimeout {
		t.Fatalf("defaults: %+v", o)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	bad := o
	bad.ReadHeaderTimeout, bad.IdleTimeout, bad.BodyTimeout = -1, -time.Second, -2
	bad.AdminReadTimeout, bad.AdminWriteTimeout, bad.MaxHeaderBytes = -1, -1, 100
	err := bad.Validate()
	if err == nil {
		t.Fatal("negative timeouts and a tiny header limit accepted")
	}
	for _, name := range []string{"--read-header-timeout", "--idle-timeout", "--body-timeout", "--admin-read-timeout", "--admin-write-timeout", "--max-header-bytes"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Validate does not report %s: %v", name, err)
		}
	}
	low := o
	low.BodyTimeout, low.IdleTimeout, low.MaxHeaderBytes = time.Second, time.Second, 4<<10
	if err := low.Validate(); err != nil {
		t.Fatalf("lowered limits refused: %v", err)
	}
}

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
