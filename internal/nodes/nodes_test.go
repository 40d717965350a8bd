package nodes_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/nodes"
)

var ctx = context.Background()

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newRegistry(t *testing.T) (*nodes.Registry, *clock, *int) {
	t.Helper()
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(t.TempDir(), "meta")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	var counter int32
	registered := 0
	r, err := nodes.New(nodes.Options{Store: st, Prefix: []byte{'v'}, Now: c.now,
		NextID:     func(kv.Txn) (int32, error) { counter++; return counter, nil },
		Registered: func() { registered++ }})
	if err != nil {
		t.Fatal(err)
	}
	return r, c, &registered
}

func TestOptionsValidate(t *testing.T) {
	if _, err := nodes.New(nodes.Options{Prefix: []byte{'v'}, NextID: func(kv.Txn) (int32, error) { return 1, nil }}); err == nil {
		t.Error("accepted a registry without a store")
	}
}

func TestRegisterHeartbeatStop(t *testing.T) {
	r, c, registered := newRegistry(t)
	n, err := r.Register(ctx, nodes.RegisterInput{Name: "host-1.example", S3Endpoint: "http://host-1:9000/S3", Interval: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if n.ID != nodes.ClientIDBase+1 || n.UUID == "" || !n.Alive(c.t) || *registered != 1 {
		t.Fatalf("registered %+v (callbacks %d)", n, *registered)
	}
	// Registering again keeps the id and the uuid.
	again, err := r.Register(ctx, nodes.RegisterInput{Name: "host-1.example", Interval: 10 * time.Second})
	if err != nil || again.ID != n.ID || again.UUID != n.UUID {
		t.Fatalf("second registration %+v %v, want id %d uuid %s", again, err, n.ID, n.UUID)
	}
	// Three missed intervals: down; a heartbeat revives it.
	c.t = c.t.Add(31 * time.Second)
	if got, _ := r.Get(ctx, n.ID); got.Alive(c.t) {
		t.Fatal("a node 31 s past its 10-s heartbeat is alive")
	}
	if err := r.Heartbeat(ctx, "host-1.example"); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.GetByName(ctx, "host-1.example"); !got.Alive(c.t) {
		t.Fatal("the heartbeat did not revive the node")
	}
	if err := r.Stop(ctx, "host-1.example"); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.GetByUUID(ctx, n.UUID); got.Alive(c.t) || got.ID != n.ID {
		t.Fatalf("a stopped node: %+v", got)
	}
	if err := r.Heartbeat(ctx, "nope"); errs.KindOf(err) != errs.NotFound || !errors.Is(err, nodes.ReasonNotFound) {
		t.Fatalf("heartbeat of an unknown node: %v", err)
	}
	if _, err := r.Register(ctx, nodes.RegisterInput{Name: "bad name"}); !errors.Is(err, nodes.ReasonNameInvalid) {
		t.Fatalf("a bad name: %v", err)
	}
	if _, err := r.Get(ctx, nodes.ClientIDBase+9); !errors.Is(err, nodes.ReasonNotFound) {
		t.Fatalf("an unknown id: %v", err)
	}
	m, err := r.Register(ctx, nodes.RegisterInput{Name: "host-2"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := r.List(ctx)
	if err != nil || len(list) != 2 || list[0].ID != n.ID || list[1].ID != m.ID || list[1].Interval != time.Second {
		t.Fatalf("list %+v %v", list, err)
	}
}
