package commvault

import (
	"slices"
	"strings"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// Jobs are the core's jobs of the default tenant (and tenant-less ones,
// such as data aging), shown in Commvault's shapes. Status: Pending
// (queued) → Running → Completed, or Failed / Killed with the reason in
// pendingReason.

// jobStatus is a job's Commvault status string.
func jobStatus(j core.Job) string {
	switch j.State {
	case core.JobQueued:
		return "Pending"
	case core.JobRunning:
		return "Running"
	case core.JobSuccess:
		return "Completed"
	}
	if j.Error != nil && j.Error.Reason == core.ReasonJobKilled {
		return "Killed"
	}
	return "Failed"
}

func statusColor(status string) string {
	switch status {
	case "Completed":
		return "green"
	case "Failed", "Killed":
		return "red"
	}
	return "black"
}

// jobSummary renders a job as /Job's jobs[].jobSummary.
func (h *Handler) jobSummary(j core.Job, info core.JobInfo, known bool) map[string]any {
	status := jobStatus(j)
	end := j.End
	elapsed := time.Duration(0)
	switch {
	case !j.Start.IsZero() && !end.IsZero():
		elapsed = end.Sub(j.Start)
	case !j.Start.IsZero():
		elapsed = h.now().Sub(j.Start)
	}
	last := j.Created
	for _, t := range []time.Time{j.Start, j.End} {
		if t.After(last) {
			last = t
		}
	}
	reason := ""
	if j.State == core.JobFailure {
		reason = j.Message
	}
	s := map[string]any{
		"jobId": j.ID, "status": status, "percentComplete": j.Percent, "pendingReason": reason,
		"jobType": j.Operation, "localizedOperationName": j.Operation, "operationDescription": j.Description,
		"jobStartTime": epoch(j.Start), "jobEndTime": epoch(j.End), "lastUpdateTime": epoch(last),
		"jobElapsedTime": int64(elapsed.Seconds()), "jobSubmitTime": epoch(j.Created),
		"appTypeName": "S3 Vault", "isVisible": true, "statusColor": statusColor(status),
		"progressMessage": j.Message,
	}
	if j.State == core.JobSuccess {
		s["result"] = j.Result
	}
	if known && len(info.Clients) > 0 {
		s["subclient"] = map[string]any{"clientId": info.Clients[0], "clientName": info.ClientName}
		s["clientIds"] = info.Clients
	}
	return s
}

// visible reports whether a job belongs to the default company (or to no
// tenant).
func visible(j core.Job, t core.Tenant) bool { return j.Tenant == "" || j.Tenant == t.UUID }

func (h *Handler) jobEntry(rq *request, j core.Job) (map[string]any, core.JobInfo, error) {
	info, known, err := h.core.JobInfo(rq.ctx, j.ID)
	if err != nil {
		return nil, info, err
	}
	return map[string]any{"jobSummary": h.jobSummary(j, info, known)}, info, nil
}

// getJob is GET /Job/{jobId} → {totalRecordsWithoutPaging: 1, jobs:
// [{jobSummary}]}; an unknown job answers 200 with 0 records (cvpysdk
// polls until the job appears).
func (h *Handler) getJob(rq *request) (response, error) {
	id, err := parseJobID(rq.params[0])
	if err != nil {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	empty := ok(map[string]any{"totalRecordsWithoutPaging": 0, "jobs": []any{}})
	j, err := h.core.GetJobByID(rq.ctx, id)
	if errs.KindOf(err) == errs.NotFound || err == nil && !visible(j, t) {
		return empty, nil
	} else if err != nil {
		return response{}, err
	}
	e, _, err := h.jobEntry(rq, j)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"totalRecordsWithoutPaging": 1, "jobs": []any{e}}), nil
}

func parseJobID(s string) (int64, error) {
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > (1<<62)/10 {
			return 0, errs.Field(errs.InvalidArgument, "jobId", "%q is not a valid jobId.", s)
		}
		n = n*10 + int64(c-'0')
	}
	if n <= 0 {
		return 0, errs.Field(errs.InvalidArgument, "jobId", "%q is not a valid jobId.", s)
	}
	return n, nil
}

// listJobs is GET /Job with the filters clientId, jobFilter (job types,
// comma-separated), jobCategory (Active | Finished | All, default All),
// completedJobLookupTime (seconds), and limit/offset paging; newest first.
func (h *Handler) listJobs(rq *request) (response, error) {
	var client int32
	if v := queryGet(rq.r, "clientId"); v != "" && v != "0" {
		var err error
		if client, err = parseID(v, "clientId"); err != nil {
			return response{}, err
		}
	}
	var types []string
	if v := queryGet(rq.r, "jobFilter"); v != "" && !strings.EqualFold(v, "All") {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				types = append(types, strings.ToLower(t))
			}
		}
	}
	category := strings.ToLower(queryGet(rq.r, "jobCategory"))
	switch category {
	case "", "all", "active", "finished":
	default:
		return response{}, errBadInput("jobCategory", "jobCategory must be Active, Finished or All.")
	}
	lookup, err := rq.queryInt("completedJobLookupTime", 0)
	if err != nil {
		return response{}, err
	}
	limit, err := rq.queryInt("limit", 0)
	if err != nil {
		return response{}, err
	}
	offset, err := rq.queryInt("offset", 0)
	if err != nil {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	jobs, err := h.core.ListJobs(rq.ctx, core.JobFilter{})
	if err != nil {
		return response{}, err
	}
	slices.Reverse(jobs) // newest first
	now := h.now()
	var list []map[string]any
	for _, j := range jobs {
		if !visible(j, t) ||
			category == "active" && j.Terminal() || category == "finished" && !j.Terminal() ||
			lookup > 0 && j.Terminal() && now.Sub(j.End) > time.Duration(lookup)*time.Second ||
			len(types) > 0 && !slices.Contains(types, strings.ToLower(j.Operation)) {
			continue
		}
		e, info, err := h.jobEntry(rq, j)
		if err != nil {
			return response{}, err
		}
		if client != 0 && !slices.Contains(info.Clients, client) {
			continue
		}
		list = append(list, e)
	}
	from, to := page(len(list), offset, limit)
	return ok(map[string]any{"totalRecordsWithoutPaging": len(list), "jobs": nonNil(list[from:to])}), nil
}

type jobDetailsBody struct {
	JobID *int64 `json:"jobId"`
}

// jobDetails is POST /JobDetails {"jobId"} → {job: {jobDetail:
// {generalInfo, progressInfo, detailInfo}}}; an unknown job is a 404.
func (h *Handler) jobDetails(rq *request) (response, error) {
	var in jobDetailsBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	if in.JobID == nil || *in.JobID <= 0 {
		return response{}, errBadInput("jobId", "jobId is required.")
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	j, err := h.core.GetJobByID(rq.ctx, *in.JobID)
	if err == nil && !visible(j, t) {
		err = errs.New(errs.NotFound, "")
	}
	if errs.KindOf(err) == errs.NotFound {
		return response{}, errs.Field(errs.NotFound, "jobId", "Job %d does not exist.", *in.JobID)
	} else if err != nil {
		return response{}, err
	}
	info, known, err := h.core.JobInfo(rq.ctx, j.ID)
	if err != nil {
		return response{}, err
	}
	sum := h.jobSummary(j, info, known)
	detail := map[string]any{
		"generalInfo": map[string]any{"jobId": j.ID, "operationType": j.Operation, "jobType": j.Operation,
			"description": j.Description, "startTime": epoch(j.Start), "endTime": epoch(j.End),
			"submitTime": epoch(j.Created), "subclient": sum["subclient"]},
		"progressInfo": map[string]any{"state": sum["status"], "percentComplete": j.Percent,
			"reasonForJobDelay": sum["pendingReason"], "message": j.Message},
		"detailInfo": map[string]any{"startTime": epoch(j.Start), "endTime": epoch(j.End),
			"lastUpdateTime": sum["lastUpdateTime"], "result": j.Result},
	}
	return ok(map[string]any{"job": map[string]any{"jobDetail": detail}}), nil
}

// killJob is POST /Job/{jobId}/Action/Kill: jobs of the vault plane stop at
// their next step and end "Killed"; finished jobs and other planes' jobs
// are refused (400).
func (h *Handler) killJob(rq *request) (response, error) {
	id, err := parseJobID(rq.params[0])
	if err != nil {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	j, err := h.core.GetJobByID(rq.ctx, id)
	if err == nil && !visible(j, t) {
		err = errs.New(errs.NotFound, "")
	}
	if errs.KindOf(err) == errs.NotFound {
		return response{}, errs.Field(errs.NotFound, "jobId", "Job %d does not exist.", id)
	} else if err != nil {
		return response{}, err
	}
	if err := h.core.KillJob(rq.ctx, id); err != nil {
		return response{}, err
	}
	return genericOK("Kill request sent to job " + itoa64(id) + "."), nil
}
