package core

import (
	"context"
	"time"

	"coffer/internal/kv"
	"coffer/internal/nodes"
)

// The nodes sharing the store (internal/nodes) are Commvault's clients and
// ONTAP's cluster nodes; vaults name some of them as their endpoints. Their
// records live under 'v' 'n' id and 'v' 'N' name (vrecords.go).

// Node is a registered coffer server process (nodes.Node).
type Node = nodes.Node

// RegisterNodeInput registers a node (nodes.RegisterInput).
type RegisterNodeInput = nodes.RegisterInput

// NodeClientIDBase is added to a node's counter to form its client id.
const NodeClientIDBase = nodes.ClientIDBase

// Node reasons (internal/nodes).
const (
	ReasonNodeNotFound    = nodes.ReasonNotFound    // NotFound
	ReasonNodeNameInvalid = nodes.ReasonNameInvalid // InvalidArgument
	ReasonNodeDown        = nodes.ReasonDown        // Internal in a job: the node does not run
)

func (s *Service) newNodes() (*nodes.Registry, error) {
	return nodes.New(nodes.Options{Store: s.kv, Prefix: []byte{nsVault}, Now: s.now,
		NextID: func(tx kv.Txn) (int32, error) { return nextID32(tx, "node") },
		// Other nodes' endpoint answers name this node's S3 URL.
		OnRegister: func(tx kv.Txn) { markChange(tx, changeBucket) },
		Registered: s.bucketChanged})
}

// RegisterNode records a node (or refreshes a known one: same name, same
// id) and gives it a first heartbeat.
func (s *Service) RegisterNode(ctx context.Context, in RegisterNodeInput) (Node, error) {
	return s.nodes.Register(ctx, in)
}

// NodeHeartbeat records that a registered node is alive
// (ReasonNodeNotFound when it is not registered).
func (s *Service) NodeHeartbeat(ctx context.Context, name string) error {
	return s.nodes.Heartbeat(ctx, name)
}

// StopNode records a clean shutdown: the node stops counting as running at
// once.
func (s *Service) StopNode(ctx context.Context, name string) error { return s.nodes.Stop(ctx, name) }

// GetNode returns a node by client id (ReasonNodeNotFound).
func (s *Service) GetNode(ctx context.Context, id int32) (Node, error) { return s.nodes.Get(ctx, id) }

// GetNodeByName returns a node by name (ReasonNodeNotFound).
func (s *Service) GetNodeByName(ctx context.Context, name string) (Node, error) {
	return s.nodes.GetByName(ctx, name)
}

// ListNodes returns every registered node by id, running or not.
func (s *Service) ListNodes(ctx context.Context) ([]Node, error) { return s.nodes.List(ctx) }

// GetNodeByUUID returns a node by uuid (ReasonNodeNotFound).
func (s *Service) GetNodeByUUID(ctx context.Context, uuid string) (Node, error) {
	return s.nodes.GetByUUID(ctx, uuid)
}

// NodeUp reports whether a node runs now (by the core's clock).
func (s *Service) NodeUp(n Node) bool { return n.Alive(s.now()) }

// Now is the core's clock.
func (s *Service) Now() time.Time { return s.now() }
