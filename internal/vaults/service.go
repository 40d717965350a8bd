package vaults

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"time"

	"coffer/internal/errs"
	"coffer/internal/jobs"
	"coffer/internal/kv"
	"coffer/internal/nodes"
	"coffer/internal/objects"
)

// Options configures a Service.
type Options struct {
	// Store holds the records (required). Writes that other nodes' caches
	// depend on are counted by the store's change feed, as every write of
	// the core is.
	Store kv.Store
	// Prefix is the key namespace of the records (required; it must not
	// change once records exist).
	Prefix []byte
	// Objects is the object layer: buckets, their versions and uploads
	// (required).
	Objects *objects.Service
	// Jobs runs the plane's jobs (required).
	Jobs *jobs.Runner
	// Nodes is the registry of the nodes that endpoint jobs configure
	// (required).
	Nodes *nodes.Registry
	// NextPlanID allocates a new plan's id inside the creating transaction
	// (required).
	NextPlanID func(tx kv.Txn) (int32, error)
	// Changed, when set, runs after a committed change of a vault's
	// endpoints: the caller's cached endpoint answers refresh.
	Changed func()
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives what cannot be returned; nil means slog.Default().
	Log *slog.Logger
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var problems []error
	if o.Store == nil {
		problems = append(problems, errors.New("vaults: Options.Store is required"))
	}
	if len(o.Prefix) == 0 {
		problems = append(problems, errors.New("vaults: Options.Prefix is required"))
	}
	if o.Objects == nil {
		problems = append(problems, errors.New("vaults: Options.Objects is required"))
	}
	if o.Jobs == nil {
		problems = append(problems, errors.New("vaults: Options.Jobs is required"))
	}
	if o.Nodes == nil {
		problems = append(problems, errors.New("vaults: Options.Nodes is required"))
	}
	if o.NextPlanID == nil {
		problems = append(problems, errors.New("vaults: Options.NextPlanID is required"))
	}
	return errors.Join(problems...)
}

// Service reads and writes the vault plane's records. It is safe for
// concurrent use.
type Service struct {
	o   Options
	kv  kv.Store
	obj *objects.Service
	log *slog.Logger
	now func() time.Time
}

// New returns a Service, with defaults filled in.
func New(o Options) (*Service, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Changed == nil {
		o.Changed = func() {}
	}
	return &Service{o: o, kv: o.Store, obj: o.Objects, log: o.Log, now: o.Now}, nil
}

// key builds a key under the prefix: sub, then parts joined by 0x00.
func (s *Service) key(sub byte, parts ...string) []byte {
	b := append(append([]byte(nil), s.o.Prefix...), sub)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func (s *Service) key32(sub byte, n int32) []byte {
	return binary.BigEndian.AppendUint32(s.key(sub), uint32(n))
}

func (s *Service) key64(sub byte, n int64) []byte {
	return binary.BigEndian.AppendUint64(s.key(sub), uint64(n))
}

// storage turns storage failures into errs values; rule errors pass.
func storage(err error, what string) error { return errs.FromStorage(err, what, kv.ErrConflict) }

func (s *Service) view(ctx context.Context, what string, fn func(tx kv.Reader) error) error {
	return storage(s.kv.View(ctx, fn), what)
}

func (s *Service) update(ctx context.Context, what string, fn func(tx kv.Txn) error) error {
	return storage(s.kv.Update(ctx, fn), what)
}
