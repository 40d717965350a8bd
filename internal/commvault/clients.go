package commvault

import (
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// Clients are the coffer nodes (each registers itself and beats a
// heartbeat). GET /Client/{id} also finds a vault, which Commvault models
// as a client too (its clientId is the vault's); node ids start at
// core.NodeClientIDBase, so the two never meet.

func (h *Handler) now() time.Time { return time.Now() }

func (h *Handler) nodeJSON(n core.Node) map[string]any {
	alive := n.Alive(h.now())
	status := "Not Ready"
	if alive {
		status = "Ready"
	}
	c := clientJSON(n.ID, n.Name, n.Version)
	props := c["clientProps"].(map[string]any)
	for k, v := range map[string]any{
		"isS3Endpoint":    true,
		"isRunning":       alive,
		"readinessStatus": status,
		"s3Endpoint":      n.S3Endpoint,
		"version":         n.Version,
		"lastHeartbeat":   epoch(n.Heartbeat),
		"registeredTime":  epoch(n.Registered),
		"thisNode":        n.Name == h.opts.NodeName,
	} {
		props[k] = v
	}
	return c
}

// clientJSON is a client in GET /Client's shape with what cvpysdk's
// Clients._get_clients (clientEntity.{clientName, clientId, hostName,
// displayName}) and Client._get_client_properties read without a default:
// client.osInfo.{Type, SubType, OsDisplayInfo.{ProcessorType, OSName}},
// client.cvdPort, client.versionInfo, clientProps.activityControl.
// {EnableDataRecovery, EnableDataManagement, EnableOnlineContentIndex},
// clientProps.clientActivityControl.activityControlOptions[] and
// clientProps.EnableSnapBackups.
func clientJSON(id int32, name, version string) map[string]any {
	activities := []map[string]any{}
	for _, t := range []int{1, 2, 16} { // backup, restore, data aging
		activities = append(activities, map[string]any{"activityType": t, "enableActivityType": true,
			"enableAfterADelay": false})
	}
	return map[string]any{
		"client": map[string]any{
			"clientEntity": map[string]any{"clientId": id, "clientName": name, "hostName": name,
				"displayName": name, "_type_": typeClient},
			"osInfo": map[string]any{"Type": "Unix", "SubType": "Linux", "Version": "",
				"OsDisplayInfo": map[string]any{"ProcessorType": "x64", "OSName": "Linux (Coffer)"}},
			"cvdPort":          8400,
			"versionInfo":      map[string]any{"version": "Coffer " + version},
			"installDirectory": "/",
		},
		"clientProps": map[string]any{
			"activityControl": map[string]any{"EnableDataRecovery": true, "EnableDataManagement": true,
				"EnableOnlineContentIndex": false},
			"clientActivityControl": map[string]any{"activityControlOptions": activities},
			"EnableSnapBackups":     false,
			"clusterType":           0,
		},
	}
}

// listClients is GET /Client → {clientProperties: [...]}: every registered
// node, running or not (clientProps.isRunning tells).
func (h *Handler) listClients(rq *request) (response, error) {
	nodes, err := h.core.ListNodes(rq.ctx)
	if err != nil {
		return response{}, err
	}
	list := []map[string]any{}
	for _, n := range nodes {
		list = append(list, h.nodeJSON(n))
	}
	return ok(map[string]any{"clientProperties": list, "totalRecords": len(list)}), nil
}

// getClient is GET /Client/{id}: a node, or a vault's pseudo-client.
func (h *Handler) getClient(rq *request) (response, error) {
	id, err := rq.id(0, "clientId")
	if err != nil {
		return response{}, err
	}
	if id >= core.NodeClientIDBase {
		n, err := h.core.GetNode(rq.ctx, id)
		if err != nil {
			return response{}, err
		}
		return ok(map[string]any{"clientProperties": []any{h.nodeJSON(n)}}), nil
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	v, err := h.core.GetVault(rq.ctx, t.UUID, id)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return response{}, errs.Field(errs.NotFound, "clientId", "Client %d does not exist.", id)
		}
		return response{}, err
	}
	c := clientJSON(v.Bucket.ID, v.Bucket.Name, h.opts.Version)
	props := c["clientProps"].(map[string]any)
	props["CVS3BucketName"], props["isCVS3Store"] = v.Bucket.Name, true
	return ok(map[string]any{"clientProperties": []any{c}}), nil
}

type addEndpointBody struct {
	CVS3Stores []struct {
		ClientID   *int64  `json:"clientId"`
		ClientName *string `json:"clientName"`
	} `json:"cvs3Stores"`
}

// addEndpoint is POST /V4/Client/{clientId}/CVS3endpoint: the node becomes
// an S3 endpoint of the vaults listed in the optional body
// ({"cvs3Stores": [{"clientId"}]}), or of every vault that has endpoints.
// It answers the configuration job: {jobId, errorCode: 0}.
func (h *Handler) addEndpoint(rq *request) (response, error) {
	id, err := rq.id(0, "clientId")
	if err != nil {
		return response{}, err
	}
	var in addEndpointBody
	if err := rq.decode(&in, true); err != nil {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	var vaults []int32
	for i, v := range in.CVS3Stores {
		vid, err := ref32(v.ClientID, "cvs3Stores.clientId")
		if err != nil {
			return response{}, err
		}
		if vid == 0 && v.ClientName != nil && *v.ClientName != "" {
			b, err := h.core.GetBucket(rq.ctx, t.UUID, *v.ClientName)
			if errs.KindOf(err) == errs.NoSuchBucket {
				return response{}, errs.Field(errs.NotFound, "cvs3Stores.clientName", "Vault %q does not exist.", *v.ClientName)
			} else if err != nil {
				return response{}, err
			}
			vid = b.ID
		}
		if vid == 0 {
			return response{}, errBadInput("cvs3Stores", "cvs3Stores[%d] needs a clientId.", i)
		}
		vaults = append(vaults, vid)
	}
	if id < core.NodeClientIDBase {
		return response{}, errs.Field(errs.NotFound, "clientId", "Client %d is not a node that can be an S3 endpoint.", id)
	}
	j, err := h.core.AddVaultEndpoint(rq.ctx, t.UUID, core.EntityRef{ID: id}, vaults)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"jobId": j.ID, "jobIds": []string{itoa64(j.ID)}, "errorCode": 0, "errorMessage": ""}), nil
}
