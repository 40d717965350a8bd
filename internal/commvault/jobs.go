package commvault

import (
	"net/http"
	"slices"
	"strconv"
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
	// cvpysdk (job.py) reads subclient and userName without a default.
	sub := map[string]any{"clientId": 0, "clientName": "", "appName": "S3 Vault", "backupsetName": "",
		"subclientName": "", "instanceName": ""}
	if known && len(info.Clients) > 0 {
		sub["clientId"], sub["clientName"] = info.Clients[0], info.ClientName
		s["clientIds"] = info.Clients
		s["destinationClient"] = map[string]any{"clientId": info.Clients[0], "clientName": info.ClientName}
	}
	s["subclient"] = sub
	s["userName"] = map[string]any{"userName": "system", "userId": 1}
	s["backupLevelName"] = ""
	s["currentPhaseName"] = status
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

// jobQuery selects and pages jobs (GET /Job's query, POST /Jobs' body).
type jobQuery struct {
	clients  []int32
	types    []string // lower-case operation names
	statuses []string // lower-case Commvault statuses
	category string   // "", "all", "active", "finished"
	lookup   time.Duration
	limit    int
	offset   int
}

// listJobs is GET /Job with the filters clientId, jobFilter (job types,
// comma-separated), jobCategory (Active | Finished | All, default All),
// completedJobLookupTime (seconds), and limit/offset paging; newest first.
func (h *Handler) listJobs(rq *request) (response, error) {
	var q jobQuery
	if v := queryGet(rq.r, "clientId"); v != "" && v != "0" {
		client, err := parseID(v, "clientId")
		if err != nil {
			return response{}, err
		}
		q.clients = []int32{client}
	}
	if v := queryGet(rq.r, "jobFilter"); v != "" && !strings.EqualFold(v, "All") {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				q.types = append(q.types, strings.ToLower(t))
			}
		}
	}
	q.category = strings.ToLower(queryGet(rq.r, "jobCategory"))
	switch q.category {
	case "", "all", "active", "finished":
	default:
		return response{}, errBadInput("jobCategory", "jobCategory must be Active, Finished or All.")
	}
	lookup, err := rq.queryInt("completedJobLookupTime", 0)
	if err != nil {
		return response{}, err
	}
	q.lookup = time.Duration(lookup) * time.Second
	if q.limit, err = rq.queryInt("limit", 0); err != nil {
		return response{}, err
	}
	if q.offset, err = rq.queryInt("offset", 0); err != nil {
		return response{}, err
	}
	return h.queryJobs(rq, q)
}

type postJobsBody struct {
	Category     *int `json:"category"`
	PagingConfig *struct {
		Offset *int `json:"offset"`
		Limit  *int `json:"limit"`
	} `json:"pagingConfig"`
	JobFilter *struct {
		CompletedJobLookupTime *int64 `json:"completedJobLookupTime"`
		ClientList             []struct {
			ClientID *int64 `json:"clientId"`
		} `json:"clientList"`
		JobTypeList []any    `json:"jobTypeList"`
		StatusList  []string `json:"statusList"`
	} `json:"jobFilter"`
}

// postJobs is POST /Jobs (cvpysdk job.py JobController all_jobs /
// active_jobs / finished_jobs; Commvault's MCP server get_failed_jobs):
// {category: 0 ALL | 1 ACTIVE | 2 FINISHED, pagingConfig: {offset, limit},
// jobFilter: {completedJobLookupTime (seconds), clientList: [{clientId}],
// jobTypeList (names; numeric types match nothing Coffer runs),
// statusList}} → the shape of GET /Job. The SDK reads jobs[].jobSummary.
// {isVisible, jobId, status, percentComplete}.
func (h *Handler) postJobs(rq *request) (response, error) {
	var in postJobsBody
	if err := rq.decode(&in, true); err != nil {
		return response{}, err
	}
	var q jobQuery
	switch deref(in.Category) {
	case 0:
	case 1:
		q.category = "active"
	case 2:
		q.category = "finished"
	default:
		return response{}, errBadInput("category", "category must be 0 (all), 1 (active) or 2 (finished).")
	}
	if p := in.PagingConfig; p != nil {
		q.offset, q.limit = max(deref(p.Offset), 0), max(deref(p.Limit), 0)
	}
	if f := in.JobFilter; f != nil {
		if v := deref(f.CompletedJobLookupTime); v > 0 {
			q.lookup = time.Duration(v) * time.Second
		}
		for _, c := range f.ClientList {
			id, err := ref32(c.ClientID, "jobFilter.clientList.clientId")
			if err != nil {
				return response{}, err
			}
			if id != 0 {
				q.clients = append(q.clients, id)
			}
		}
		for _, t := range f.JobTypeList {
			switch v := t.(type) {
			case string:
				q.types = append(q.types, strings.ToLower(v))
			default:
				q.types = append(q.types, "\x00") // a numeric Commvault type: none of Coffer's jobs
			}
		}
		for _, st := range f.StatusList {
			q.statuses = append(q.statuses, strings.ToLower(st))
		}
	}
	return h.queryJobs(rq, q)
}

// queryJobs answers {totalRecordsWithoutPaging, jobs: [{jobSummary}]},
// newest first.
func (h *Handler) queryJobs(rq *request, q jobQuery) (response, error) {
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
			q.category == "active" && j.Terminal() || q.category == "finished" && !j.Terminal() ||
			q.lookup > 0 && j.Terminal() && now.Sub(j.End) > q.lookup ||
			len(q.types) > 0 && !slices.Contains(q.types, strings.ToLower(j.Operation)) ||
			len(q.statuses) > 0 && !slices.Contains(q.statuses, strings.ToLower(jobStatus(j))) {
			continue
		}
		e, info, err := h.jobEntry(rq, j)
		if err != nil {
			return response{}, err
		}
		if len(q.clients) > 0 && !slices.ContainsFunc(q.clients, func(c int32) bool { return slices.Contains(info.Clients, c) }) {
			continue
		}
		list = append(list, e)
	}
	from, to := page(len(list), q.offset, q.limit)
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

// jobAction is POST /Job/{jobId}/Action/Pause|Suspend|Resume|Resubmit
// (cvpysdk job.py pause/resume/resubmit): Coffer's jobs cannot be
// suspended, resumed or resubmitted (400 INVALID_OPERATION_TYPE); kill is
// killJob.
func jobAction(op string) endpoint {
	return func(h *Handler, rq *request) (response, error) {
		id, err := parseJobID(rq.params[0])
		if err != nil {
			return response{}, err
		}
		if _, err := h.visibleJob(rq, id); err != nil {
			return response{}, err
		}
		return response{}, &apiError{Status: http.StatusBadRequest, Code: codeInvalidOperationType,
			Message: "Coffer's jobs cannot be " + pastTense(op) + "; they can only be killed."}
	}
}

func pastTense(op string) string {
	switch op {
	case "suspend":
		return "suspended"
	case "resume":
		return "resumed"
	}
	return "resubmitted"
}

// visibleJob returns a job of the default company (404 otherwise).
func (h *Handler) visibleJob(rq *request, id int64) (core.Job, error) {
	t, err := h.tenant(rq)
	if err != nil {
		return core.Job{}, err
	}
	j, err := h.core.GetJobByID(rq.ctx, id)
	if err == nil && !visible(j, t) {
		err = errs.New(errs.NotFound, "")
	}
	if errs.KindOf(err) == errs.NotFound {
		return core.Job{}, errs.Field(errs.NotFound, "jobId", "Job %d does not exist.", id)
	}
	return j, err
}

type multiJobBody struct {
	Message  any `json:"message"`
	JobOpReq *struct {
		OperationType any `json:"operationType"`
		Jobs          []struct {
			JobID *int64 `json:"jobId"`
		} `json:"jobs"`
	} `json:"jobOpReq"`
	OperationDescription string `json:"operationDescription"`
}

// multiJobOperation is POST /Jobs/MultiJobOperation (Commvault's MCP
// server suspend_job; cvpysdk's _modify_all_jobs sends the same request
// through qoperation): {message: 1 (the jobs listed) | "ALL_JOBS",
// jobOpReq: {operationType: JOB_SUSPEND (0) | JOB_RESUME (1) | JOB_KILL
// (2), jobs: [{jobId}]}} → {errorCode, errorMessage, jobs: [{jobId,
// errorCode, errorMessage}]}: kill works on Coffer's killable jobs;
// suspend and resume fail for each job (Coffer cannot pause a job).
func (h *Handler) multiJobOperation(rq *request) (response, error) {
	var in multiJobBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	if in.JobOpReq == nil {
		return response{}, errBadInput("jobOpReq", "jobOpReq is required.")
	}
	op := ""
	switch v := in.JobOpReq.OperationType.(type) {
	case float64:
		op = map[float64]string{0: "suspend", 1: "resume", 2: "kill"}[v]
	case string:
		op = map[string]string{"job_suspend": "suspend", "job_resume": "resume", "job_kill": "kill",
			"suspend": "suspend", "resume": "resume", "kill": "kill"}[strings.ToLower(v)]
	}
	if op == "" {
		return response{}, errBadInput("jobOpReq.operationType", "operationType must be JOB_SUSPEND, JOB_RESUME or JOB_KILL.")
	}
	var ids []int64
	if m, isStr := in.Message.(string); isStr && strings.EqualFold(m, "ALL_JOBS") {
		t, err := h.tenant(rq)
		if err != nil {
			return response{}, err
		}
		jobs, err := h.core.ListJobs(rq.ctx, core.JobFilter{})
		if err != nil {
			return response{}, err
		}
		for _, j := range jobs {
			if visible(j, t) && !j.Terminal() {
				ids = append(ids, j.ID)
			}
		}
	} else {
		for i, j := range in.JobOpReq.Jobs {
			if j.JobID == nil || *j.JobID <= 0 {
				return response{}, errBadInput("jobOpReq.jobs.jobId", "jobOpReq.jobs[%d].jobId is required.", i)
			}
			ids = append(ids, *j.JobID)
		}
		if len(ids) == 0 {
			return response{}, errBadInput("jobOpReq.jobs", "jobOpReq.jobs must list at least one job.")
		}
	}
	results := []map[string]any{}
	failed := 0
	for _, id := range ids {
		r := map[string]any{"jobId": id, "errorCode": 0, "errorMessage": ""}
		_, err := h.visibleJob(rq, id)
		switch {
		case err != nil:
		case op == "kill":
			err = h.core.KillJob(rq.ctx, id)
		default:
			err = errs.New(errs.NotImplemented, "Coffer's jobs cannot be %s.", pastTense(op))
		}
		if err != nil {
			e, mapped := toAPIError(err)
			if !mapped {
				return response{}, err
			}
			r["errorCode"], r["errorMessage"] = int(e.Code), e.Message
			failed++
		}
		results = append(results, r)
	}
	out := map[string]any{"errorCode": 0, "errorMessage": "", "jobs": results}
	if failed > 0 {
		out["errorCode"], out["errorMessage"] = int(codeInvalidOperationType),
			strconv.Itoa(failed)+" of "+strconv.Itoa(len(ids))+" jobs could not be "+pastTense(op)+"."
		if op == "kill" {
			out["errorMessage"] = strconv.Itoa(failed) + " of " + strconv.Itoa(len(ids)) + " jobs could not be killed."
		}
	}
	out["error"] = map[string]any{"errorCode": out["errorCode"], "errorMessage": out["errorMessage"]}
	return ok(out), nil
}
