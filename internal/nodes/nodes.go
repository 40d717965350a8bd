// Package nodes is the registry of the coffer server processes sharing one
// metadata store: every node registers itself at startup and then proves it
// is alive with a heartbeat, so nodes see each other. Commvault shows them
// as clients (/Client, the endpoints of a vault), ONTAP as cluster nodes.
//
//	Options.Prefix 'n' id(4, big-endian)   Node (JSON)
//	Options.Prefix 'N' name                node id (name index)
package nodes

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/uuid"
)

// Node is a running (or once running) coffer server process: a Commvault
// client (clientId, clientName) that can be an S3 endpoint of vaults.
type Node struct {
	Schema int `json:"_v"`
	// ID is the Commvault clientId: ClientIDBase + a counter, so node ids
	// never meet vault (bucket) ids, which Commvault also shows as client
	// ids.
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
	// while its last heartbeat is at most MissedBeats intervals old.
	Interval   time.Duration `json:"interval"`
	Registered time.Time     `json:"registered"`
	Heartbeat  time.Time     `json:"heartbeat"`
	// Stopped is set by a clean shutdown.
	Stopped bool `json:"stopped,omitempty"`
}

const schema = 1

// ClientIDBase is added to a node's counter to form its client id.
const ClientIDBase int32 = 1_000_000_000

// MissedBeats is how many heartbeat intervals may pass before a node
// counts as down.
const MissedBeats = 3

// Reasons.
const (
	ReasonNotFound    errs.Reason = "node.not_found"    // NotFound
	ReasonNameInvalid errs.Reason = "node.name_invalid" // InvalidArgument
	ReasonDown        errs.Reason = "node.down"         // Internal in a job: the node does not run
)

// Alive reports whether the node runs at now.
func (n Node) Alive(now time.Time) bool {
	return !n.Stopped && !n.Heartbeat.IsZero() && now.Sub(n.Heartbeat) <= MissedBeats*max(n.Interval, time.Second)
}

// RegisterInput registers a node.
type RegisterInput struct {
	// Name is 1..255 characters of [A-Za-z0-9._-].
	Name       string
	S3Endpoint string
	Version    string
	// Interval is the heartbeat period (at least one second).
	Interval time.Duration
}

// Options configures a Registry.
type Options struct {
	// Store holds the records (required).
	Store kv.Store
	// Prefix is the key namespace of the records (required; it must not
	// change once nodes are registered).
	Prefix []byte
	// NextID allocates the counter of a new node's id, inside the
	// registering transaction (required).
	NextID func(tx kv.Txn) (int32, error)
	// OnRegister, when set, runs inside the registering transaction, and
	// Registered after it committed: the caller's caches that show nodes'
	// S3 URLs (Commvault's endpoint answers) refresh.
	OnRegister func(tx kv.Txn)
	Registered func()
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	switch {
	case o.Store == nil:
		return errors.New("nodes: Options.Store is required")
	case len(o.Prefix) == 0:
		return errors.New("nodes: Options.Prefix is required")
	case o.NextID == nil:
		return errors.New("nodes: Options.NextID is required")
	}
	return nil
}

// Registry reads and writes the node records.
type Registry struct{ o Options }

// New returns a Registry, with defaults filled in.
func New(o Options) (*Registry, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Registry{o: o}, nil
}

func (r *Registry) idKey(id int32) []byte {
	k := append(append([]byte(nil), r.o.Prefix...), 'n')
	return binary.BigEndian.AppendUint32(k, uint32(id))
}

func (r *Registry) nameKey(name string) []byte {
	k := append(append([]byte(nil), r.o.Prefix...), 'N')
	return append(k, name...)
}

func storage(err error, what string) error { return errs.FromStorage(err, what, kv.ErrConflict) }

func validateName(name string) error {
	if len(name) < 1 || len(name) > 255 {
		return errs.Fail(errs.InvalidArgument, ReasonNameInvalid, "clientName", "Node names have 1 to 255 characters.")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return errs.Fail(errs.InvalidArgument, ReasonNameInvalid, "clientName",
				"Node names contain only letters, digits, \".\", \"-\" and \"_\".")
		}
	}
	return nil
}

func notFound(field, format string, args ...any) error {
	return errs.Fail(errs.NotFound, ReasonNotFound, field, format, args...)
}

// Lookup reads a node by client id inside a transaction.
func (r *Registry) Lookup(tx kv.Reader, id int32) (Node, bool, error) {
	var n Node
	ok, err := kv.GetJSON(tx, r.idKey(id), &n)
	return n, ok, err
}

// LookupName reads a node by name inside a transaction.
func (r *Registry) LookupName(tx kv.Reader, name string) (Node, bool, error) {
	var id int32
	if ok, err := kv.GetJSON(tx, r.nameKey(name), &id); err != nil || !ok {
		return Node{}, false, err
	}
	return r.Lookup(tx, id)
}

// Register records a node (or refreshes a known one: same name, same id)
// and gives it a first heartbeat.
func (r *Registry) Register(ctx context.Context, in RegisterInput) (Node, error) {
	if err := validateName(in.Name); err != nil {
		return Node{}, err
	}
	if in.Interval < time.Second {
		in.Interval = time.Second
	}
	var n Node
	err := r.o.Store.Update(ctx, func(tx kv.Txn) error {
		var ok bool
		var err error
		if n, ok, err = r.LookupName(tx, in.Name); err != nil {
			return err
		}
		now := r.o.Now().UTC()
		if !ok {
			c, err := r.o.NextID(tx)
			if err != nil {
				return err
			}
			if c > 1<<31-1-ClientIDBase {
				return errs.New(errs.Internal, "the node id counter is exhausted")
			}
			n = Node{ID: ClientIDBase + c, Name: in.Name, Registered: now}
			if err := kv.SetJSON(tx, r.nameKey(in.Name), n.ID); err != nil {
				return err
			}
		}
		n.Schema, n.S3Endpoint, n.Version, n.Interval = schema, in.S3Endpoint, in.Version, in.Interval
		n.Heartbeat, n.Stopped = now, false
		if n.UUID == "" {
			n.UUID = uuid.New()
		}
		if r.o.OnRegister != nil {
			r.o.OnRegister(tx)
		}
		return kv.SetJSON(tx, r.idKey(n.ID), &n)
	})
	if err != nil {
		return Node{}, storage(err, "register node")
	}
	if r.o.Registered != nil {
		r.o.Registered()
	}
	return n, nil
}

// Heartbeat records that a registered node is alive (ReasonNotFound when
// it is not registered).
func (r *Registry) Heartbeat(ctx context.Context, name string) error {
	return r.setState(ctx, name, false)
}

// Stop records a clean shutdown: the node stops counting as running at
// once.
func (r *Registry) Stop(ctx context.Context, name string) error {
	return r.setState(ctx, name, true)
}

func (r *Registry) setState(ctx context.Context, name string, stopped bool) error {
	return storage(r.o.Store.Update(ctx, func(tx kv.Txn) error {
		n, ok, err := r.LookupName(tx, name)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("clientName", "Client %q is not registered.", name)
		}
		n.Stopped = stopped
		if !stopped {
			n.Heartbeat = r.o.Now().UTC()
		}
		return kv.SetJSON(tx, r.idKey(n.ID), &n)
	}), "node heartbeat")
}

// Get returns a node by client id (ReasonNotFound).
func (r *Registry) Get(ctx context.Context, id int32) (Node, error) {
	var n Node
	err := r.o.Store.View(ctx, func(tx kv.Reader) error {
		var ok bool
		var err error
		if n, ok, err = r.Lookup(tx, id); err == nil && !ok {
			err = notFound("clientId", "Client %d does not exist.", id)
		}
		return err
	})
	return n, storage(err, "get node")
}

// GetByName returns a node by name (ReasonNotFound).
func (r *Registry) GetByName(ctx context.Context, name string) (Node, error) {
	var n Node
	err := r.o.Store.View(ctx, func(tx kv.Reader) error {
		var ok bool
		var err error
		if n, ok, err = r.LookupName(tx, name); err == nil && !ok {
			err = notFound("clientName", "Client %q does not exist.", name)
		}
		return err
	})
	return n, storage(err, "get node")
}

// List returns every registered node by id, running or not.
func (r *Registry) List(ctx context.Context) ([]Node, error) {
	var out []Node
	prefix := append(append([]byte(nil), r.o.Prefix...), 'n')
	err := r.o.Store.View(ctx, func(tx kv.Reader) error {
		out = nil
		it := tx.NewIterator(prefix, kv.PrefixEnd(prefix))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			var n Node
			if err := json.Unmarshal(it.Value(), &n); err != nil {
				return fmt.Errorf("nodes: record %q: %w", it.Key(), err)
			}
			out = append(out, n)
		}
		return it.Err()
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, storage(err, "list nodes")
}

// GetByUUID returns a node by uuid (ReasonNotFound).
func (r *Registry) GetByUUID(ctx context.Context, id string) (Node, error) {
	nodes, err := r.List(ctx)
	if err != nil {
		return Node{}, err
	}
	for _, n := range nodes {
		if n.UUID == id && id != "" {
			return n, nil
		}
	}
	return Node{}, notFound("uuid", "Node %q does not exist.", id)
}
