package adminclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Shapes of the Commvault dialect, with its field names.

// Plan is a server plan (GET /V4/Plan/Summary).
type Plan struct {
	Plan struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"plan"`
	RetentionPeriodDays int    `json:"retentionPeriodDays"`
	AssociatedEntities  int    `json:"associatedEntities"`
	Status              string `json:"status,omitempty"`
	BackupDestinations  []struct {
		RetentionPeriodDays int `json:"retentionPeriodDays"`
		StoragePool         struct {
			Name string `json:"name"`
		} `json:"storagePool"`
	} `json:"backupDestinations,omitempty"`
}

// VaultUser is a vault's owner.
type VaultUser struct {
	UserID   int64  `json:"userId"`
	UserName string `json:"userName"`
}

// VaultGroup is a user group holding the vault's role.
type VaultGroup struct {
	UserGroupID   int64  `json:"userGroupId"`
	UserGroupName string `json:"userGroupName"`
}

// VaultEndpoint is a node serving a vault.
type VaultEndpoint struct {
	ClientID   int64  `json:"clientId"`
	ClientName string `json:"clientName"`
	Status     string `json:"status,omitempty"`
	Reason     string `json:"reason,omitempty"`
	S3Endpoint string `json:"s3Endpoint,omitempty"`
}

// Vault is an S3 vault (GET /V4/CVS3Store/{id}).
type Vault struct {
	ClientID int64  `json:"clientId"`
	Name     string `json:"name"`
	Plan     struct {
		PlanID   int64  `json:"planId"`
		PlanName string `json:"planName"`
	} `json:"plan"`
	RetentionPeriodDays int             `json:"retentionPeriodDays"`
	Versioning          string          `json:"versioning,omitempty"`
	Owners              []VaultUser     `json:"owners"`
	UserGroups          []VaultGroup    `json:"userGroups"`
	Endpoints           []VaultEndpoint `json:"cvs3Endpoints"`
	SizeInBytes         int64           `json:"sizeInBytes"`
	NumberOfObjects     int64           `json:"numberOfObjects"`
	CreatedTime         int64           `json:"createdTime,omitempty"`
}

// CVJob is a job of the Commvault dialect (jobSummary).
type CVJob struct {
	JobID           int64  `json:"jobId"`
	Status          string `json:"status"`
	PercentComplete int    `json:"percentComplete"`
	PendingReason   string `json:"pendingReason,omitempty"`
	JobType         string `json:"jobType"`
	Description     string `json:"operationDescription,omitempty"`
	JobStartTime    int64  `json:"jobStartTime,omitempty"`
	JobEndTime      int64  `json:"jobEndTime,omitempty"`
	Subclient       struct {
		ClientName string `json:"clientName,omitempty"`
	} `json:"subclient"`
}

// Plans lists the plans.
func (c *Client) Plans(ctx context.Context) ([]Plan, error) {
	var r struct {
		Plans []Plan `json:"plans"`
	}
	_, err := c.do(ctx, request{dialect: Commvault, method: http.MethodGet, path: "/V4/Plan/Summary"}, &r)
	return r.Plans, err
}

// PlanByName finds a plan by name, or by id when ref is a number.
func (c *Client) PlanByName(ctx context.Context, ref string) (Plan, error) {
	ps, err := c.Plans(ctx)
	if err != nil {
		return Plan{}, err
	}
	for _, p := range ps {
		if p.Plan.Name == ref || strconv.FormatInt(p.Plan.ID, 10) == ref {
			return p, nil
		}
	}
	return Plan{}, &APIError{Dialect: Commvault, Status: http.StatusNotFound, Code: "VALUE_NOT_FOUND", Message: fmt.Sprintf("no plan %q", ref)}
}

// CreatePlan creates a server plan with a retention in days on a storage
// pool (a name; "" for the server's default).
func (c *Client) CreatePlan(ctx context.Context, name string, retentionDays int, pool string) (int64, error) {
	dest := map[string]any{"retentionPeriodDays": retentionDays}
	if pool != "" {
		dest["storagePool"] = map[string]string{"name": pool}
	}
	var r struct {
		Plan struct {
			ID int64 `json:"id"`
		} `json:"plan"`
	}
	_, err := c.do(ctx, request{dialect: Commvault, method: http.MethodPost, path: "/V4/ServerPlan",
		body: map[string]any{"planName": name, "backupDestinations": []any{dest}}}, &r)
	return r.Plan.ID, err
}

// DeletePlan deletes a plan no vault uses.
func (c *Client) DeletePlan(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{dialect: Commvault, method: http.MethodDelete, path: "/V4/ServerPlan/" + strconv.FormatInt(id, 10)}, nil)
	return err
}

// Vaults lists the vaults.
func (c *Client) Vaults(ctx context.Context) ([]Vault, error) {
	var out []Vault
	for start := 0; ; {
		var r struct {
			Vaults []Vault `json:"CVS3Stores"`
			Total  int     `json:"totalRecords"`
		}
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {"500"}}
		if _, err := c.do(ctx, request{dialect: Commvault, method: http.MethodGet, path: "/V4/cvS3Stores", query: q}, &r); err != nil {
			return nil, err
		}
		out = append(out, r.Vaults...)
		start += len(r.Vaults)
		if len(r.Vaults) == 0 || start >= r.Total {
			return out, nil
		}
	}
}

// VaultByName finds a vault by name, or by id when ref is a number.
func (c *Client) VaultByName(ctx context.Context, ref string) (Vault, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		var v Vault
		_, err := c.do(ctx, request{dialect: Commvault, method: http.MethodGet, path: "/V4/CVS3Store/" + strconv.FormatInt(id, 10)}, &v)
		return v, err
	}
	vs, err := c.Vaults(ctx)
	if err != nil {
		return Vault{}, err
	}
	for _, v := range vs {
		if v.Name == ref {
			return v, nil
		}
	}
	return Vault{}, &APIError{Dialect: Commvault, Status: http.StatusNotFound, Code: "VALUE_NOT_FOUND", Message: fmt.Sprintf("no vault %q", ref)}
}

// VaultInput creates a vault.
type VaultInput struct {
	Name string
	// Plan is the plan's name (required).
	Plan string
	// Owners and Groups are user and user-group names; Endpoints node
	// (client) names.
	Owners, Groups, Endpoints []string
	// RotateKeys issues new keys to owners that have some.
	RotateKeys bool
}

// CreateVaultResult is what creating a vault answers.
type CreateVaultResult struct {
	ClientID int64  `json:"clientId"`
	Name     string `json:"clientName"`
	// EndpointJob is the job registering the endpoints (0 without any).
	EndpointJob int64  `json:"endpointJobId,omitempty"`
	Warning     string `json:"warning,omitempty"`
}

// CreateVault creates a vault.
func (c *Client) CreateVault(ctx context.Context, in VaultInput) (CreateVaultResult, error) {
	body := map[string]any{"bucket": map[string]string{"clientName": in.Name}, "plan": map[string]string{"planName": in.Plan}}
	if id, err := strconv.ParseInt(in.Plan, 10, 64); err == nil {
		body["plan"] = map[string]int64{"planId": id}
	}
	var owners, groups, eps []map[string]any
	for _, o := range in.Owners {
		owners = append(owners, map[string]any{"userName": o})
	}
	for _, g := range in.Groups {
		groups = append(groups, map[string]any{"userGroupName": g})
	}
	for _, e := range in.Endpoints {
		eps = append(eps, map[string]any{"clientName": e})
	}
	if owners != nil {
		body["owners"] = owners
	}
	if groups != nil {
		body["userGroups"] = groups
	}
	if eps != nil {
		body["cvs3Endpoints"] = eps
	}
	if in.RotateKeys {
		body["rotateKeys"] = true
	}
	var r struct {
		Response struct {
			Entity struct {
				ClientID   int64  `json:"clientId"`
				ClientName string `json:"clientName"`
			} `json:"entity"`
			ErrorCode      int    `json:"errorCode"`
			ErrorMessage   string `json:"errorMessage"`
			WarningMessage string `json:"warningMessage"`
		} `json:"response"`
		AddEndpointJob struct {
			JobID int64 `json:"jobId"`
		} `json:"addEndpointJob"`
	}
	if _, err := c.do(ctx, request{dialect: Commvault, method: http.MethodPost, path: "/V4/CVS3Store", body: body}, &r); err != nil {
		return CreateVaultResult{}, err
	}
	if r.Response.ErrorCode != 0 {
		return CreateVaultResult{}, &APIError{Dialect: Commvault, Status: http.StatusOK, Code: strconv.Itoa(r.Response.ErrorCode), Message: r.Response.ErrorMessage}
	}
	return CreateVaultResult{ClientID: r.Response.Entity.ClientID, Name: r.Response.Entity.ClientName,
		EndpointJob: r.AddEndpointJob.JobID, Warning: r.Response.WarningMessage}, nil
}

// DeleteVault deletes a vault (a job, whose id is returned); force deletes
// its objects too.
func (c *Client) DeleteVault(ctx context.Context, id int64, force bool) (int64, error) {
	q := url.Values{}
	if force {
		q.Set("forceDelete", "true")
	}
	var r struct {
		JobID int64 `json:"jobId"`
	}
	_, err := c.do(ctx, request{dialect: Commvault, method: http.MethodDelete, path: "/V4/CVS3Store/" + strconv.FormatInt(id, 10), query: q}, &r)
	return r.JobID, err
}

type cvJobs struct {
	Jobs []struct {
		JobSummary CVJob `json:"jobSummary"`
	} `json:"jobs"`
}

// CVJobs lists the Commvault dialect's jobs, newest first.
func (c *Client) CVJobs(ctx context.Context) ([]CVJob, error) {
	var r cvJobs
	_, err := c.do(ctx, request{dialect: Commvault, method: http.MethodGet, path: "/Job", query: url.Values{"limit": {"1000"}}}, &r)
	out := make([]CVJob, 0, len(r.Jobs))
	for _, j := range r.Jobs {
		out = append(out, j.JobSummary)
	}
	return out, err
}

// CVJob reads one job.
func (c *Client) CVJob(ctx context.Context, id int64) (CVJob, error) {
	var r cvJobs
	if _, err := c.do(ctx, request{dialect: Commvault, method: http.MethodGet, path: "/Job/" + strconv.FormatInt(id, 10)}, &r); err != nil {
		return CVJob{}, err
	}
	if len(r.Jobs) == 0 {
		return CVJob{}, &APIError{Dialect: Commvault, Status: http.StatusNotFound, Code: "VALUE_NOT_FOUND", Message: fmt.Sprintf("no job %d", id)}
	}
	return r.Jobs[0].JobSummary, nil
}
