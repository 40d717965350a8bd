package vaults_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The vault plane sits below the core and the adapters: the core wires it,
// so it must not reach back up (architecture.md, "no arrow running back
// up").
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "coffer/internal/vaults").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, above := range []string{"core", "commvault", "ontap", "s3api", "server", "console"} {
			if p == "coffer/internal/"+above || strings.HasPrefix(p, "coffer/internal/"+above+"/") {
				t.Errorf("internal/vaults depends on %s", p)
			}
		}
	}
}
