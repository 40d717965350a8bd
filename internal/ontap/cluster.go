package ontap

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"coffer/internal/core"
	"coffer/internal/ontap/collection"
)

// The cluster (/api/cluster) and its jobs (/api/cluster/jobs[/{uuid}]).
//
// GET /api/cluster reports an ONTAP release in version.generation/major/
// minor, because clients gate features on it (Ansible's S3 modules need
// 9.8+; access keys in a user POST need 9.16.1). version.full names Coffer.

// ontapRelease is the ONTAP release whose S3 REST API Coffer speaks.
const (
	ontapGeneration = 9
	ontapMajor      = 16
	ontapMinor      = 1
)

func (h *handler) cluster(rq *request) (response, error) {
	q, err := parseKnownQuery(rq, collection.Schema{}, collection.NewFieldSet("name", "uuid", "version.*", "_links.*"))
	if err != nil {
		return response{}, err
	}
	c, err := h.core.Cluster(rq.ctx)
	if err != nil {
		return response{}, err
	}
	rec := map[string]any{
		"name": c.Name, "uuid": c.UUID,
		"version": map[string]any{
			"full": "Coffer " + c.Version + " (NetApp ONTAP " + strconv.Itoa(ontapGeneration) + "." +
				strconv.Itoa(ontapMajor) + "." + strconv.Itoa(ontapMinor) + " S3 REST API compatible)",
			"generation": ontapGeneration, "major": ontapMajor, "minor": ontapMinor,
		},
		"_links": links("/api/cluster"),
	}
	return ok(q.Single(rec)), nil
}

var jobSchema = collection.Schema{Key: []string{"uuid"}, Keep: []string{"uuid"}}

var jobKnown = collection.NewFieldSet("uuid", "description", "state", "message", "code",
	"start_time", "end_time", "svm.uuid", "svm.name", "svm._links.*", "error.message", "error.code",
	"error.target", "_links.*")

// jobRecord renders a job. A failure carries the ONTAP code of its error
// (from the same table as synchronous errors) as "code" (an integer, as
// ONTAP sends it) and in error.code (a string).
func (h *handler) jobRecord(rq *request, j core.Job) map[string]any {
	rec := map[string]any{
		"uuid": j.UUID, "description": j.Description, "state": string(j.State),
		"message": j.Message, "_links": links(jobHref(j.UUID)),
	}
	if j.State == core.JobSuccess {
		rec["code"] = 0
		if j.Result != "" && j.Operation == opDeleteService {
			rec["message"] = j.Result
		}
	}
	if !j.Start.IsZero() {
		rec["start_time"] = ontapTime(j.Start)
	}
	if !j.End.IsZero() {
		rec["end_time"] = ontapTime(j.End)
	}
	if j.Tenant != "" {
		name := ""
		if t, err := h.core.GetTenant(rq.ctx, j.Tenant); err == nil {
			name = t.Name
		}
		rec["svm"] = svmRef(j.Tenant, name)
	}
	if err := j.Err(); err != nil {
		e, _ := toAPIError(err, jobRoutes[j.Operation])
		n, _ := strconv.ParseInt(e.Code, 10, 64)
		rec["code"] = n
		em := map[string]any{"message": e.Message, "code": e.Code}
		if e.Target != "" {
			em["target"] = e.Target
		}
		rec["error"] = em
		rec["message"] = e.Message
	}
	return rec
}

func (h *handler) jobs(rq *request) (response, error) {
	q, err := parseKnownQuery(rq, jobSchema, jobKnown)
	if err != nil {
		return response{}, err
	}
	list, err := h.core.ListJobs(rq.ctx, core.JobFilter{})
	if err != nil {
		return response{}, err
	}
	recs := make([]map[string]any, 0, len(list))
	for _, j := range list {
		recs = append(recs, h.jobRecord(rq, j))
	}
	return ok(collection.Apply(recs, q, jobsPath)), nil
}

func (h *handler) job(rq *request) (response, error) {
	q, err := parseKnownQuery(rq, jobSchema, jobKnown)
	if err != nil {
		return response{}, err
	}
	j, err := h.core.GetJob(rq.ctx, rq.UUID)
	if err != nil {
		return response{}, err
	}
	return ok(q.Single(h.jobRecord(rq, j))), nil
}

// Job operations (core.Job.Operation) started by this adapter, and the
// route whose error codes apply to their failures.
const (
	opCreateBucket   = "CreateBucket"
	opModifyBucket   = "ModifyBucket"
	opDeleteBucket   = "DeleteBucket"
	opServiceBuckets = "CreateS3ServiceBuckets"
	opDeleteService  = "DeleteS3Service"
	opCreateSVM      = "CreateSVM"
	opModifySVM      = "ModifySVM"
	opDeleteSVM      = "DeleteSVM"
)

var jobRoutes = map[string]route{
	opCreateBucket:   {Res: resSvmBuckets, Method: http.MethodPost},
	opModifyBucket:   {Res: resSvmBucket, Method: http.MethodPatch},
	opDeleteBucket:   {Res: resSvmBucket, Method: http.MethodDelete},
	opServiceBuckets: {Res: resSvmBuckets, Method: http.MethodPost},
	opDeleteService:  {Res: resService, Method: http.MethodDelete},
	opCreateSVM:      {Res: resSVMs, Method: http.MethodPost},
	opModifySVM:      {Res: resSVM, Method: http.MethodPatch},
	opDeleteSVM:      {Res: resSVM, Method: http.MethodDelete},
}

// jobRun is one job an endpoint starts.
type jobRun struct {
	Tenant    string
	Operation string
	// Submit submits the job (a resumable core job: another node finishes
	// it if this one dies) with the spec runJob made.
	Submit func(ctx context.Context, spec core.JobSpec) (core.Job, error)
	// Status is the status when the job succeeds within return_timeout
	// (201 for POST, 200 otherwise); 202 is answered while it runs.
	Status int
	// Body renders the response body from the job's latest state.
	Body func(j core.Job) any
	// Location renders the Location header (POST), "" for none.
	Location func(j core.Job) string
}

// runJob submits a job and answers as ONTAP does: 202 with the job link at
// once (return_timeout 0, the default), or, when the job ends within
// return_timeout seconds, the final answer: Status on success, the job's
// error (mapped by the error table) on failure.
func (h *handler) runJob(rq *request, q collection.Query, run jobRun) (response, error) {
	j, err := run.Submit(rq.ctx, core.JobSpec{Tenant: run.Tenant,
		Description: rq.route.Method + " " + rq.path, Operation: run.Operation})
	if err != nil {
		return response{}, err
	}
	if wait := time.Duration(q.ReturnTimeoutOr(0)) * time.Second; wait > 0 {
		waited, err := h.core.WaitJob(rq.ctx, j.UUID, min(wait, h.maxWait))
		switch {
		case err == nil:
			j = waited
		case rq.ctx.Err() == nil:
			return response{}, err
		} // the client went away: the job runs on; answer 202 to no one
	}
	resp := response{status: http.StatusAccepted, body: run.Body(j)}
	if run.Location != nil {
		resp.location = run.Location(j)
	}
	switch j.State {
	case core.JobSuccess:
		resp.status = run.Status
	case core.JobFailure:
		return response{}, j.Err()
	}
	return resp, nil
}

// generic turns a typed value into the generic record form the collection
// package works on (maps, slices, json.Number).
func generic(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil
	}
	return out
}
