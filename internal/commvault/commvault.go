// Package commvault is the Commvault dialect of Coffer's management plane:
// the S3 Vault ("Unified Data Vault") part of Commvault's REST API, served
// under /commandcenter/api/ and /webconsole/api/ on the admin listener, so
// that Commvault's tools and scripts (cvpysdk, the PowerShell SDK, the MCP
// server, curl recipes from Commvault's documentation) create and use
// vaults on Coffer unchanged.
//
// The adapter is thin. Each request is matched against the route table
// (route.go; paths compare case-insensitively, as Commvault's own clients
// use several casings), authenticated with the session token of POST
// /Login, decoded into a typed input (JSON in, JSON out), handed to the
// core (package core: users, groups, plans, nodes, vaults, jobs and every
// rule), and the result rendered. Errors go through the one table in
// errors.go.
//
// Entities, as the core shares them with the ONTAP dialect: the default
// Commvault company is the tenant named by Options.Tenant; users and user
// groups are that tenant's S3 users and groups (userId and userGroupId are
// their int ids); a vault (CVS3Store, clientId) is a bucket of that tenant;
// a client is a coffer node (every node registers itself when its handler
// is built and keeps a heartbeat); plans and jobs are the core's.
//
// docs/commvault.md lists the supported calls, their shapes, and every
// choice made where Commvault's documentation is silent.
package commvault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/reqlog"
)

// Options configures the Commvault adapter.
type Options struct {
	// Core is the domain service. Required.
	Core *core.Service
	// Tenant names the tenant that is Commvault's default company (the
	// server's default tenant). Default "default".
	Tenant string
	// NodeName is the name this node registers as a Commvault client (and
	// S3 endpoint) under. Default: the host name.
	NodeName string
	// S3Endpoint is the URL S3 clients reach this node at, including the
	// /S3 prefix (e.g. "http://10.0.0.1:9000/S3"); it is shown in GET
	// /Client and in the S3 error of a node that does not serve a vault.
	// Optional.
	S3Endpoint string
	// Version is the software version shown for this client.
	Version string
	// Logger receives internal errors and background failures. Default
	// slog.Default().
	Logger *slog.Logger
	// Heartbeat is the node heartbeat period. Default 10 s.
	Heartbeat time.Duration
	// SessionIdle ends a session unused for that long. Default 30 min
	// (Commvault's token lifetime).
	SessionIdle time.Duration
	// Day is the length of one retention day of a plan. Default 24 h.
	// Tests shorten it (cmd/coffer: COFFER_TEST_DAY_SECONDS).
	Day time.Duration
	// AgingInterval is how often data aging runs (over every node sharing
	// the store). Default Day/24, at least 1 s and at most 1 h.
	AgingInterval time.Duration
	// UpkeepInterval is how often expired sessions and stale records are
	// pruned. Default 10 min.
	UpkeepInterval time.Duration
	// MaxBodyBytes bounds a request body. Default 1 MiB.
	MaxBodyBytes int64
}

// Defaults of Options.
const (
	DefaultTenant       = "default"
	DefaultHeartbeat    = 10 * time.Second
	DefaultDay          = 24 * time.Hour
	DefaultMaxBodyBytes = 1 << 20
)

func (o Options) withDefaults() Options {
	if o.Tenant == "" {
		o.Tenant = DefaultTenant
	}
	if o.NodeName == "" {
		if h, err := os.Hostname(); err == nil {
			o.NodeName = h
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.SessionIdle == 0 {
		o.SessionIdle = core.DefaultSessionIdle
	}
	if o.Day == 0 {
		o.Day = DefaultDay
	}
	if o.AgingInterval == 0 {
		o.AgingInterval = min(max(o.Day/24, time.Second), time.Hour)
	}
	if o.UpkeepInterval == 0 {
		o.UpkeepInterval = 10 * time.Minute
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return o
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var problems []error
	if o.Core == nil {
		problems = append(problems, errors.New("commvault: Options.Core is required"))
	}
	if o.NodeName == "" {
		problems = append(problems, errors.New("commvault: Options.NodeName is required (no host name)"))
	}
	if o.Heartbeat < 0 || o.SessionIdle < 0 || o.Day < 0 || o.AgingInterval < 0 ||
		o.UpkeepInterval < 0 || o.MaxBodyBytes < 0 {
		problems = append(problems, errors.New("commvault: durations and limits in Options must not be negative"))
	}
	if o.Heartbeat > 0 && o.Heartbeat < 100*time.Millisecond {
		problems = append(problems, errors.New("commvault: Options.Heartbeat must be at least 100ms"))
	}
	return errors.Join(problems...)
}

// Handler serves the Commvault API. Build it with New; Close it at
// shutdown (it stops the node's heartbeat and marks the node stopped).
type Handler struct {
	opts Options
	core *core.Service
	log  *slog.Logger
	node core.Node

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New registers this node as a Commvault client, starts its heartbeat
// (which also schedules data aging and upkeep) and returns the handler for
// every path under /commandcenter/api/ and /webconsole/api/.
func New(opts Options) (*Handler, error) {
	o := opts.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	h := &Handler{opts: o, core: o.Core, log: o.Logger, stop: make(chan struct{})}
	var err error
	h.node, err = h.register(context.Background())
	if err != nil {
		return nil, fmt.Errorf("commvault: register node %q: %w", o.NodeName, err)
	}
	h.wg.Add(1)
	go h.background()
	return h, nil
}

// Node returns the client record this node registered.
func (h *Handler) Node() core.Node { return h.node }

func (h *Handler) register(ctx context.Context) (core.Node, error) {
	return h.core.RegisterNode(ctx, core.RegisterNodeInput{Name: h.opts.NodeName, S3Endpoint: h.opts.S3Endpoint,
		Version: h.opts.Version, Interval: max(h.opts.Heartbeat, time.Second)})
}

// Close stops the background work and records the node as stopped.
func (h *Handler) Close() error {
	var err error
	h.closeOnce.Do(func() {
		close(h.stop)
		h.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = h.core.StopNode(ctx, h.opts.NodeName)
	})
	return err
}

// background beats the heartbeat, starts data aging when due and prunes
// stale records.
func (h *Handler) background() {
	defer h.wg.Done()
	beat := time.NewTicker(h.opts.Heartbeat)
	defer beat.Stop()
	aging := time.NewTicker(h.opts.AgingInterval)
	defer aging.Stop()
	upkeep := time.NewTicker(h.opts.UpkeepInterval)
	defer upkeep.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-h.stop
		cancel()
	}()
	for {
		select {
		case <-h.stop:
			return
		case <-beat.C:
			err := h.core.NodeHeartbeat(ctx, h.opts.NodeName)
			if errs.KindOf(err) == errs.NotFound {
				_, err = h.register(ctx)
			}
			if err != nil && ctx.Err() == nil {
				h.log.Warn("commvault: node heartbeat failed", "node", h.opts.NodeName, "err", err)
			}
		case <-aging.C:
			_, _, err := h.core.StartDataAging(ctx, core.DataAgingInput{Node: h.opts.NodeName, Day: h.opts.Day,
				Every: h.opts.AgingInterval})
			if err != nil && ctx.Err() == nil {
				h.log.Warn("commvault: data aging not started", "err", err)
			}
		case <-upkeep.C:
			if err := h.core.VaultUpkeep(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("commvault: upkeep failed", "err", err)
			}
		}
	}
}

// ServeHTTP routes, authenticates, runs and renders one call.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := reqlog.From(r.Context())
	rq := &request{r: r, ctx: r.Context(), h: h}
	resp, err := h.serve(rq)
	if rq.rt != nil && rq.rt != noRoute {
		rec.SetOperation(rq.rt.method + " " + rq.rt.pattern)
	}
	rec.SetPrincipal(rq.sess.Name)
	if rq.sess.Tenant != "" {
		rec.SetTenant(rq.sess.Tenant)
	}
	if err != nil {
		e, mapped := toAPIError(err)
		if !mapped {
			h.log.Error("commvault: internal error", "method", r.Method, "path", errs.Excerpt(r.URL.Path),
				"user", rq.sess.Name, "request_id", rec.ID(), "err", err)
		}
		if len(e.allow) > 0 {
			w.Header().Set("Allow", e.allow)
		}
		if e.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
		}
		rec.SetErrorCode(e.Code.String())
		e.Message = errs.BoundMessage(e.Message)
		resp = response{status: e.Status, body: errorBody(e, rq.rt.legacy)}
		if e.extra != nil {
			for k, v := range e.extra {
				resp.body.(map[string]any)[k] = v
			}
		}
	}
	if resp.xml != nil {
		writeXML(w, r, resp.status, resp.xml)
	} else {
		writeJSON(w, r, resp.status, resp.body)
	}
}

func (h *Handler) serve(rq *request) (response, error) {
	rt, params, err := match(rq.r.Method, rq.r.URL.Path)
	rq.rt, rq.params = rt, params
	if err != nil && (rt == nil || !rt.public) {
		// An unauthenticated caller learns nothing about which paths exist.
		if _, aerr := h.authenticate(rq); aerr != nil {
			return response{}, aerr
		}
		return response{}, err
	}
	if !rt.public {
		if rq.sess, err = h.authenticate(rq); err != nil {
			return response{}, err
		}
		if rt.admin && rq.sess.Kind != core.SessionAdmin {
			return response{}, errForbidden("Only an administrator may call this API.")
		}
	}
	if err := rq.readBody(h.opts.MaxBodyBytes); err != nil {
		return response{}, err
	}
	return h.run(rq)
}
