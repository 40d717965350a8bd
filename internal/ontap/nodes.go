package ontap

import (
	"net/http"
	"strconv"
	"time"

	"coffer/internal/core"
	"coffer/internal/ontap/collection"
)

// The cluster's nodes (/api/cluster/nodes[/{uuid}]): every coffer server
// process sharing the store registers as a node (core.Node) and keeps a
// heartbeat. state is "up" while the heartbeat is fresh (core.Node.Alive:
// at most three heartbeat intervals old) and "down" otherwise (stopped
// cleanly, killed, or cut off from the store); version is the software the
// node runs, in the same shape as GET /api/cluster's.

const nodesPath = "/api/cluster/nodes"

var nodeSchema = collection.Schema{Key: []string{"uuid"}, Keep: []string{"uuid", "name"}}

var nodeKnown = collection.NewFieldSet("uuid", "name", "state", "membership", "model", "serial_number",
	"system_id", "uptime", "date", "location", "version.*", "coffer.*", "_links.*")

func nodeHref(uuid string) string { return nodesPath + "/" + esc(uuid) }

func (h *handler) nodeRecord(n core.Node, now time.Time) map[string]any {
	state := "down"
	uptime := 0
	if h.core.NodeUp(n) {
		state = "up"
		uptime = int(now.Sub(n.Registered) / time.Second)
	}
	version := n.Version
	if version == "" {
		version = "unknown"
	}
	rec := map[string]any{
		"uuid": n.UUID, "name": n.Name, "state": state, "membership": "member",
		"model": "Coffer", "serial_number": strconv.Itoa(int(n.ID)), "system_id": strconv.Itoa(int(n.ID)),
		"uptime": uptime,
		"version": map[string]any{
			"full":       "Coffer " + version + " (NetApp ONTAP " + strconv.Itoa(ontapGeneration) + "." + strconv.Itoa(ontapMajor) + "." + strconv.Itoa(ontapMinor) + " S3 REST API compatible)",
			"generation": ontapGeneration, "major": ontapMajor, "minor": ontapMinor,
		},
		// coffer.* carries what ONTAP has no field for.
		"coffer": map[string]any{"s3_endpoint": n.S3Endpoint, "client_id": n.ID,
			"last_heartbeat": ontapTime(n.Heartbeat), "registered": ontapTime(n.Registered)},
		"_links": links(nodeHref(n.UUID)),
	}
	if !n.Heartbeat.IsZero() {
		rec["date"] = ontapTime(n.Heartbeat)
	}
	return rec
}

func (h *handler) clusterNodes(rq *request) (response, error) {
	q, err := parseKnownQuery(rq, nodeSchema, nodeKnown)
	if err != nil {
		return response{}, err
	}
	list, err := h.core.ListNodes(rq.ctx)
	if err != nil {
		return response{}, err
	}
	now := h.core.Now()
	recs := make([]map[string]any, 0, len(list))
	for _, n := range list {
		if n.UUID == "" {
			continue // registered by an older version; it gets a uuid at its next start
		}
		recs = append(recs, h.nodeRecord(n, now))
	}
	return ok(collection.Apply(recs, q, nodesPath)), nil
}

func (h *handler) clusterNode(rq *request) (response, error) {
	q, err := parseKnownQuery(rq, nodeSchema, nodeKnown)
	if err != nil {
		return response{}, err
	}
	n, err := h.core.GetNodeByUUID(rq.ctx, rq.UUID)
	if err != nil {
		return response{}, err
	}
	return ok(q.Single(h.nodeRecord(n, h.core.Now()))), nil
}

var _ = http.MethodGet
