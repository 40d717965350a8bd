package core

import (
	"testing"

	"coffer/internal/errs"
)

func TestNormalizeLanguage(t *testing.T) {
	for in, want := range map[string]string{"C.UTF-8": "c.utf_8", "c.utf_8": "c.utf_8", "en_US": "en_us",
		"ja_JP.PCK": "ja_jp.pck", "zh_tw.big5": "zh_tw.big5", "utf8mb4": "utf8mb4", " fr.UTF-8 ": "fr.utf_8"} {
		got, err := NormalizeLanguage(in)
		if err != nil || got != want {
			t.Errorf("NormalizeLanguage(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "klingon", "utf8mb4.utf_8", "c.utf_16", "en-us-x"} {
		if _, err := NormalizeLanguage(bad); errs.KindOf(err) != errs.InvalidArgument || ReasonOf(err) != ReasonTenantSettingBad {
			t.Errorf("NormalizeLanguage(%q): %v, want InvalidArgument", bad, err)
		}
	}
}

func TestCheckCreateTenant_defaultsAndRules(t *testing.T) {
	in := CreateTenantInput{Name: "vs1"}
	if err := checkCreateTenant(&in); err != nil {
		t.Fatal(err)
	}
	if in.Language != DefaultLanguage || in.SnapshotPolicy != "default" || in.MaxVolumes != "unlimited" ||
		in.IPspace != "Default" || in.State != TenantRunning || in.Subtype != SubtypeDefault {
		t.Fatalf("defaults: %+v", in)
	}
	in = CreateTenantInput{Name: "vs1", MaxVolumes: "0042"}
	if err := checkCreateTenant(&in); err != nil || in.MaxVolumes != "42" {
		t.Fatalf("max volumes 0042: %v %q", err, in.MaxVolumes)
	}
	for _, bad := range []CreateTenantInput{
		{Name: "vs1", SnapshotPolicy: "hourly"}, {Name: "vs1", MaxVolumes: "-1"}, {Name: "vs1", MaxVolumes: "lots"},
		{Name: "vs1", IPspace: "ips2"}, {Name: "vs1", Aggregates: []string{"aggr1"}}, {Name: "vs1", Language: "xx"},
	} {
		if err := checkCreateTenant(&bad); ReasonOf(firstError(err)) != ReasonTenantSettingBad {
			t.Errorf("%+v: %v, want %s", bad, err, ReasonTenantSettingBad)
		}
	}
}
