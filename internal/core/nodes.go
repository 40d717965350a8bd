package core

import (
	"context"
	"sort"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Node is a running (or once running) coffer server process: a Commvault
// client (clientId, clientName) that can be an S3 endpoint of vaults. Every
// node registers itself at startup and then proves it is alive with a
// heartbeat; nodes sharing one store see each other.
type Node struct {
	Schema int `json:"_v"`
	// ID is the Commvault clientId: NodeClientIDBase + a counter, so node
	// ids never meet vault (bucket) ids, which Commvault also shows as
	// client ids.
	ID int32 `json:"id"`
	// UUID identifies the node in ONTAP's cluster/nodes view (given at
	// the first registration; a record without one gets one when its node
	// registers again).
	UUID string `json:"uuid,omitempty"`
	// Name is unique (the host name, or what the operator configured).
	Name string `json:"name"`
	// S3Endpoint is the URL clients reach this node's S3 API at, as
	// advertised by the node (e.g. "http://host:9000/S3"); may be empty.
	S3Endpoint string `json:"s3,omitempty"`
	// Version is the software version the node runs.
	Version string `json:"version,omitempty"`
	// Interval is the node's heartbeat period; the node counts as running
	// while its last heartbeat is at most NodeMissedBeats intervals old.
	Interval   time.Duration `json:"interval"`
	Registered time.Time     `json:"registered"`
	Heartbeat  time.Time     `json:"heartbeat"`
	// Stopped is set by a clean shutdown.
	Stopped bool `json:"stopped,omitempty"`
}

const nodeSchema = 1

// NodeClientIDBase is added to a node's counter to form its client id.
const NodeClientIDBase int32 = 1_000_000_000

// NodeMissedBeats is how many heartbeat intervals may pass before a node
// counts as down.
const NodeMissedBeats = 3

// Node reasons.
const (
	ReasonNodeNotFound    Reason = "node.not_found"    // NotFound
	ReasonNodeNameInvalid Reason = "node.name_invalid" // InvalidArgument
	ReasonNodeDown        Reason = "node.down"         // Internal in a job: the node does not run
)

// Alive reports whether the node runs at now.
func (n Node) Alive(now time.Time) bool {
	return !n.Stopped && !n.Heartbeat.IsZero() && now.Sub(n.Heartbeat) <= NodeMissedBeats*max(n.Interval, time.Second)
}

// RegisterNodeInput registers a node.
type RegisterNodeInput struct {
	// Name is 1..255 characters of [A-Za-z0-9._-].
	Name       string
	S3Endpoint string
	Version    string
	// Interval is the heartbeat period (at least one second).
	Interval time.Duration
}

func validateNodeName(name string) error {
	if len(name) < 1 || len(name) > 255 {
		return fail(errs.InvalidArgument, ReasonNodeNameInvalid, "clientName", "Node names have 1 to 255 characters.")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(isAlnum(c) || c == '.' || c == '-' || c == '_') {
			return fail(errs.InvalidArgument, ReasonNodeNameInvalid, "clientName",
				"Node names contain only letters, digits, \".\", \"-\" and \"_\".")
		}
	}
	return nil
}

func nodeNotFound(field, format string, args ...any) error {
	return fail(errs.NotFound, ReasonNodeNotFound, field, format, args...)
}

func getNode(tx kv.Reader, id int32) (Node, bool, error) {
	var n Node
	ok, err := getJSON(tx, vkey32('n', id), &n)
	return n, ok, err
}

func getNodeByName(tx kv.Reader, name string) (Node, bool, error) {
	var id int32
	if ok, err := getJSON(tx, vkey('N', name), &id); err != nil || !ok {
		return Node{}, false, err
	}
	return getNode(tx, id)
}

// RegisterNode records a node (or refreshes a known one: same name, same
// id) and gives it a first heartbeat.
func (s *Service) RegisterNode(ctx context.Context, in RegisterNodeInput) (Node, error) {
	if err := validateNodeName(in.Name); err != nil {
		return Node{}, err
	}
	if in.Interval < time.Second {
		in.Interval = time.Second
	}
	var n Node
	err := s.update(ctx, "register node", func(tx kv.Txn) error {
		var ok bool
		var err error
		if n, ok, err = getNodeByName(tx, in.Name); err != nil {
			return err
		}
		now := s.now().UTC()
		if !ok {
			c, err := nextID32(tx, "node")
			if err != nil {
				return err
			}
			if c > 1<<31-1-NodeClientIDBase {
				return errs.New(errs.Internal, "the node id counter is exhausted")
			}
			n = Node{ID: NodeClientIDBase + c, Name: in.Name, Registered: now}
			if err := setJSON(tx, vkey('N', in.Name), n.ID); err != nil {
				return err
			}
		}
		n.Schema, n.S3Endpoint, n.Version, n.Interval = nodeSchema, in.S3Endpoint, in.Version, in.Interval
		n.Heartbeat, n.Stopped = now, false
		if n.UUID == "" {
			n.UUID = newUUID()
		}
		markChange(tx, changeBucket) // other nodes' endpoint answers name this node's S3 URL
		return setJSON(tx, vkey32('n', n.ID), &n)
	})
	if err != nil {
		return Node{}, err
	}
	s.bucketChanged() // endpoint answers name the node's S3 URL
	return n, nil
}

// NodeHeartbeat records that a registered node is alive
// (ReasonNodeNotFound when it is not registered).
func (s *Service) NodeHeartbeat(ctx context.Context, name string) error {
	return s.setNodeState(ctx, name, false)
}

// StopNode records a clean shutdown: the node stops counting as running at
// once.
func (s *Service) StopNode(ctx context.Context, name string) error {
	return s.setNodeState(ctx, name, true)
}

func (s *Service) setNodeState(ctx context.Context, name string, stopped bool) error {
	return s.update(ctx, "node heartbeat", func(tx kv.Txn) error {
		n, ok, err := getNodeByName(tx, name)
		if err != nil {
			return err
		}
		if !ok {
			return nodeNotFound("clientName", "Client %q is not registered.", name)
		}
		n.Stopped = stopped
		if !stopped {
			n.Heartbeat = s.now().UTC()
		}
		return setJSON(tx, vkey32('n', n.ID), &n)
	})
}

// GetNode returns a node by client id (ReasonNodeNotFound).
func (s *Service) GetNode(ctx context.Context, id int32) (Node, error) {
	var n Node
	err := s.view(ctx, "get node", func(tx kv.Reader) error {
		var ok bool
		var err error
		if n, ok, err = getNode(tx, id); err == nil && !ok {
			err = nodeNotFound("clientId", "Client %d does not exist.", id)
		}
		return err
	})
	return n, err
}

// GetNodeByName returns a node by name (ReasonNodeNotFound).
func (s *Service) GetNodeByName(ctx context.Context, name string) (Node, error) {
	var n Node
	err := s.view(ctx, "get node", func(tx kv.Reader) error {
		var ok bool
		var err error
		if n, ok, err = getNodeByName(tx, name); err == nil && !ok {
			err = nodeNotFound("clientName", "Client %q does not exist.", name)
		}
		return err
	})
	return n, err
}

// ListNodes returns every registered node by id, running or not.
func (s *Service) ListNodes(ctx context.Context) ([]Node, error) {
	var out []Node
	err := s.view(ctx, "list nodes", func(tx kv.Reader) error {
		out = nil
		return scanJSON(tx, vkey('n'), func(n Node) error { out = append(out, n); return nil })
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// GetNodeByUUID returns a node by uuid (ReasonNodeNotFound).
func (s *Service) GetNodeByUUID(ctx context.Context, uuid string) (Node, error) {
	nodes, err := s.ListNodes(ctx)
	if err != nil {
		return Node{}, err
	}
	for _, n := range nodes {
		if n.UUID == uuid && uuid != "" {
			return n, nil
		}
	}
	return Node{}, nodeNotFound("uuid", "Node %q does not exist.", uuid)
}

// NodeUp reports whether a node runs now (by the core's clock).
func (s *Service) NodeUp(n Node) bool { return n.Alive(s.now()) }

// Now is the core's clock.
func (s *Service) Now() time.Time { return s.now() }
