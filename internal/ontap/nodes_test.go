package ontap

import (
	"context"
	"testing"
	"time"

	"coffer/internal/core"
)

// GET /api/cluster/nodes lists the registered nodes with state from their
// heartbeat; GET /api/cluster/nodes/{uuid} shows one.
func TestClusterNodes(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for _, name := range []string{"node-a", "node-b"} {
		if _, err := e.core.RegisterNode(ctx, core.RegisterNodeInput{Name: name, S3Endpoint: "http://" + name + ":9000/S3",
			Version: "1.2.3", Interval: time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	r := e.do("GET", "/api/cluster/nodes?fields=*", "").must(t, 200)
	recs, _ := r.Body["records"].([]any)
	if len(recs) != 2 || r.Body["num_records"] == nil {
		t.Fatalf("nodes: %s", r.Raw)
	}
	var first map[string]any
	for _, x := range recs {
		if m := x.(map[string]any); m["name"] == "node-a" {
			first = m
		}
	}
	if first == nil || first["name"] != "node-a" || first["state"] != "up" || first["uuid"] == "" {
		t.Fatalf("node-a: %v", first)
	}
	if v, _ := first["version"].(map[string]any); v == nil || v["full"] == nil {
		t.Fatalf("node-a version: %v", first)
	}

	// node-b stops beating: three intervals later it is down; node-a beats on.
	e.clock.Advance(4 * time.Second)
	if err := e.core.NodeHeartbeat(ctx, "node-a"); err != nil {
		t.Fatal(err)
	}
	r = e.do("GET", "/api/cluster/nodes?fields=name,state", "").must(t, 200)
	recs, _ = r.Body["records"].([]any)
	states := map[any]any{}
	for _, x := range recs {
		m := x.(map[string]any)
		states[m["name"]] = m["state"]
	}
	if states["node-a"] != "up" || states["node-b"] != "down" {
		t.Fatalf("states %v, want node-a up, node-b down", states)
	}

	uuid, _ := first["uuid"].(string)
	one := e.do("GET", "/api/cluster/nodes/"+uuid, "").must(t, 200)
	if one.Body["name"] != "node-a" || one.Body["uuid"] != uuid {
		t.Fatalf("node by uuid: %s", one.Raw)
	}
	e.do("GET", "/api/cluster/nodes/00000000-0000-0000-0000-000000000000", "").must(t, 404)
	e.do("POST", "/api/cluster/nodes", "{}").must(t, 405)
}
