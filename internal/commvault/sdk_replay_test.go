package commvault

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// sdkCall is one request Commvault's Python SDK (cvpysdk) or its MCP
// server makes, as they make it, with every response field the caller
// reads without a default (a missing one is a KeyError or an exception in
// the client). The table is sourced from the clients' code; each entry
// names the file and function.
type sdkCall struct {
	from   string // client file and function
	method string
	path   string // below /commandcenter/api/ (the SDK's base ends in "/")
	body   any
	// need are dotted paths that must be present; "*" walks every element
	// of a list, which must not be empty.
	need []string
	// strs must be strings (the SDK calls .lower() or .replace() on them).
	strs []string
}

func TestSDKReplay(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	// What the SDK's first steps need: a plan, a user in a group, a vault
	// and its job (POST /V4/CVS3Store with an endpoint), all through the API.
	f := e.fixture(t)
	created := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("sdk-vault", int64(n.h.Node().ID))).must(t, 200)
	job := created.num("addEndpointJob.jobId")
	n.waitJob(t, f.token, job)

	// cvpysdk.py _is_valid_service: no token, HTTP 200 on the API root.
	for _, root := range []string{"/commandcenter/api/", "/webconsole/api/"} {
		resp, err := http.Get(n.api.URL + root)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("probe %s: HTTP %d", root, resp.StatusCode)
		}
	}
	// cvpysdk.py _login: {mode 4, username, password (base64), deviceId,
	// clientType 30} → userName and token.
	login := n.call(t, "POST", "/commandcenter/api/Login", "", map[string]any{"mode": 4, "username": testAdmin,
		"password": b64(testPassword), "deviceId": "host.example", "clientType": 30}).must(t, 200)
	for _, k := range []string{"userName", "token"} {
		if login.str(k) == "" {
			t.Fatalf("Login lacks %s: %s", k, login.Raw)
		}
	}
	tok := login.str("token")

	calls := []sdkCall{
		{from: "commcell.py Commcell._get_commserv_details", method: "GET", path: "CommServ",
			need: []string{"commcell.csGUID", "hostName", "commcell.commCellName", "csTimeZone.TimeZoneName",
				"currentSPVersion", "commcell.commCellId", "timeZone"},
			strs: []string{"timeZone", "csVersionInfo", "hostName"}},
		{from: "cvpysdk.py CVPySDK.who_am_i", method: "POST", path: "WhoAmI", need: []string{"user.userName", "user.userId"}},
		{from: "security/user.py Users._get_users", method: "GET", path: "User",
			need: []string{"users.*.userEntity.userName", "users.*.userEntity.userId"}, strs: []string{"users.*.userEntity.userName"}},
		{from: "security/user.py User._get_user_properties", method: "GET", path: fmt.Sprintf("User/%d?Level=50", f.owner),
			need: []string{"users.0.userEntity.userName", "users.0.enableUser", "users.0.associatedUserGroups"}},
		{from: "security/user.py User._get_tfa_status", method: "GET", path: "Security/TwoFactorAuth/Status?username=" + f.ownerName,
			need: []string{"errorCode", "twoFactorInfo.isTwoFactorAuthenticationEnabled"}},
		{from: "security/usergroup.py UserGroups._get_user_groups", method: "GET", path: "UserGroup?includeSystemCreated=true&level=10",
			need: []string{"userGroups.*.userGroupEntity.userGroupName", "userGroups.*.userGroupEntity.userGroupId"},
			strs: []string{"userGroups.*.userGroupEntity.userGroupName"}},
		{from: "security/usergroup.py UserGroup._get_usergroup_properties", method: "GET", path: fmt.Sprintf("UserGroup/%d", f.groupID),
			need: []string{"userGroups.0.userGroupEntity.userGroupName", "userGroups.0.users.*.userName"}},
		{from: "plan.py Plans._get_plans", method: "GET", path: "V2/Plan",
			need: []string{"plans.*.plan.planName", "plans.*.plan.planId"}, strs: []string{"plans.*.plan.planName"}},
		{from: "plan.py Plan._get_plan_properties", method: "GET", path: fmt.Sprintf("V2/Plan/%d?propertyLevel=20", f.planID),
			need: []string{"plan.summary.plan.planName", "plan.storage.copy.*.StoragePolicyCopy.copyName",
				"plan.storage.copy.*.useGlobalPolicy.storagePolicyName", "plan.storage.copy.*.retentionRules.retainBackupDataForDays",
				"plan.storage.copy.*.isDefault", "plan.storage.copy.*.isSnapCopy", "plan.operationWindow.ruleId",
				"plan.fullOperationWindow.ruleId"},
			strs: []string{"plan.storage.copy.*.useGlobalPolicy.storagePolicyName"}},
		{from: "plan.py Plan._get_associated_entities", method: "GET", path: fmt.Sprintf("V2/Plan/%d/AssociatedEntities", f.planID),
			need: []string{"entities.*.clientName"}},
		{from: "client.py Clients._get_clients", method: "GET", path: "Client",
			need: []string{"clientProperties.*.client.clientEntity.clientName", "clientProperties.*.client.clientEntity.clientId",
				"clientProperties.*.client.clientEntity.hostName", "clientProperties.*.client.clientEntity.displayName"},
			strs: []string{"clientProperties.*.client.clientEntity.clientName", "clientProperties.*.client.clientEntity.hostName",
				"clientProperties.*.client.clientEntity.displayName"}},
		{from: "client.py Clients._get_hidden_clients", method: "GET", path: "Client?hiddenclients=true",
			need: []string{"clientProperties.*.client.clientEntity.clientName"}},
		{from: "client.py Clients._get_virtualization_clients", method: "GET", path: "Client?PseudoClientType=VSPseudo"},
		{from: "client.py Clients._get_virtualization_access_nodes", method: "GET", path: "VSAClientAndClientGroupList", need: []string{"clients"}},
		{from: "client.py Client._get_client_properties", method: "GET", path: fmt.Sprintf("Client/%d", n.h.Node().ID),
			need: []string{"clientProperties.0.client.osInfo.OsDisplayInfo.ProcessorType", "clientProperties.0.client.osInfo.OsDisplayInfo.OSName",
				"clientProperties.0.client.cvdPort", "clientProperties.0.client.osInfo.Type", "clientProperties.0.client.osInfo.SubType",
				"clientProperties.0.clientProps.activityControl.EnableDataRecovery",
				"clientProperties.0.clientProps.activityControl.EnableDataManagement",
				"clientProperties.0.clientProps.activityControl.EnableOnlineContentIndex",
				"clientProperties.0.clientProps.clientActivityControl.activityControlOptions.*.activityType",
				"clientProperties.0.clientProps.clientActivityControl.activityControlOptions.*.enableActivityType",
				"clientProperties.0.client.clientEntity.hostName", "clientProperties.0.clientProps.EnableSnapBackups",
				"clientProperties.0.client.versionInfo"}},
		{from: "client.py Client._get_client_properties (a vault's pseudo-client)", method: "GET", path: fmt.Sprintf("Client/%d", created.num("response.entity.clientId")),
			need: []string{"clientProperties.0.client.osInfo.OsDisplayInfo.OSName", "clientProperties.0.client.cvdPort",
				"clientProperties.0.clientProps.CVS3BucketName"}},
		{from: "storage_pool.py StoragePool._get_storage_pool_properties", method: "GET", path: "StoragePool/1",
			need: []string{"storagePoolDetails.isWormStorage", "storagePoolDetails.copyInfo.wormStorageFlag",
				"storagePoolDetails.copyInfo.copyFlags.wormCopy"}},
		{from: "MCP storage_tools get_storage_pools (JSON)", method: "GET", path: "StoragePool",
			need: []string{"storagePoolList.*.storagePoolEntity.storagePoolName", "storagePoolList.*.storagePoolEntity.storagePoolId"}},
		{from: "job.py JobController._get_jobs_list (all_jobs)", method: "POST", path: "Jobs",
			body: map[string]any{"scope": 1, "category": 0, "pagingConfig": map[string]any{"sortDirection": 1, "offset": 0,
				"sortField": "jobId", "limit": 20}, "jobFilter": map[string]any{"completedJobLookupTime": 24 * 3600,
				"showAgedJobs": false, "hideAdminJobs": false}},
			need: []string{"jobs.*.jobSummary.isVisible", "jobs.*.jobSummary.jobId", "jobs.*.jobSummary.status",
				"jobs.*.jobSummary.percentComplete"}},
		{from: "MCP job_tools get_failed_jobs", method: "POST", path: "Jobs",
			body: map[string]any{"category": 0, "pagingConfig": map[string]any{"offset": 0, "limit": 10},
				"jobFilter": map[string]any{"completedJobLookupTime": 3600, "showAgedJobs": false, "statusList": []string{"Completed"}}},
			need: []string{"jobs.*.jobSummary.jobId", "totalRecordsWithoutPaging"}},
		{from: "job.py Job._get_job_summary / _initialize_job_properties / is_finished", method: "GET", path: fmt.Sprintf("Job/%d", job),
			need: []string{"totalRecordsWithoutPaging", "jobs.0.jobSummary.status", "jobs.0.jobSummary.jobStartTime",
				"jobs.0.jobSummary.lastUpdateTime", "jobs.0.jobSummary.jobEndTime", "jobs.0.jobSummary.jobType",
				"jobs.0.jobSummary.subclient", "jobs.0.jobSummary.userName.userName", "jobs.0.jobSummary.userName.userId"}},
		{from: "job.py Job._get_job_details", method: "POST", path: "JobDetails", body: map[string]any{"jobId": job, "showAttempt": true},
			need: []string{"job.jobDetail.progressInfo.state"}},
		{from: "MCP user_tools get_users_list", method: "GET", path: "v4/user", need: []string{"users.*.id", "users.*.name", "numberOfUsers"}},
		{from: "MCP user_tools get_roles_list", method: "GET", path: "v4/role", need: []string{"roles.*.id", "roles.*.name"}},
		{from: "MCP client_tools get_clientid_from_clientname", method: "GET", path: "getid?clientname=node-a", need: []string{"clientId"}},
		{from: "MCP user_tools (who am I)", method: "GET", path: "v2/whoami", need: []string{"user.userName", "user.userId"}},
	}
	for _, c := range calls {
		r := n.call(t, c.method, "/commandcenter/api/"+c.path, tok, c.body)
		if r.Status != 200 && r.Status != 201 {
			t.Errorf("%s: %s %s: HTTP %d: %s", c.from, c.method, c.path, r.Status, r.Raw)
			continue
		}
		if len(r.Body) == 0 {
			t.Errorf("%s: %s %s: empty body (the SDK raises 'Response 102')", c.from, c.method, c.path)
		}
		for _, p := range c.need {
			if err := present(r.Body, strings.Split(p, "."), false); err != nil {
				t.Errorf("%s: %s %s: %s: %v\n%s", c.from, c.method, c.path, p, err, r.Raw)
			}
		}
		for _, p := range c.strs {
			if err := present(r.Body, strings.Split(p, "."), true); err != nil {
				t.Errorf("%s: %s %s: %s must be a string: %v", c.from, c.method, c.path, p, err)
			}
		}
	}
	// The CommServ version string is normalised with .replace() by the SDK.
	if cs := n.call(t, "GET", "/commandcenter/api/CommServ", tok, nil); !strings.Contains(cs.str("timeZone"), "(") {
		t.Errorf("CommServ timeZone %q: the SDK searches it for \"(\"", cs.str("timeZone"))
	}

	// storage_pool.py StoragePools._get_storage_pools: Accept:
	// application/xml, root Api_GetStoragePoolListResp, storagePoolList/
	// storagePoolEntity with attributes storagePoolName, storagePoolId.
	req, _ := http.NewRequest("GET", n.api.URL+"/commandcenter/api/StoragePool", nil)
	req.Header.Set("Accept", "application/xml")
	req.Header.Set("Authtoken", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var pools struct {
		XMLName xml.Name `xml:"Api_GetStoragePoolListResp"`
		List    []struct {
			Entity struct {
				Name string `xml:"storagePoolName,attr"`
				ID   string `xml:"storagePoolId,attr"`
			} `xml:"storagePoolEntity"`
		} `xml:"storagePoolList"`
	}
	if err := xml.Unmarshal(raw, &pools); err != nil || resp.StatusCode != 200 || len(pools.List) == 0 ||
		pools.List[0].Entity.Name == "" || pools.List[0].Entity.ID == "" {
		t.Errorf("StoragePool (XML): HTTP %d, %v: %s", resp.StatusCode, err, raw)
	}

	// job.py Job.kill: POST Job/{id}/action/kill → errorCode 0 (or a
	// refusal for a finished job, which the SDK reports).
	if r := n.call(t, "POST", fmt.Sprintf("/commandcenter/api/Job/%d/action/kill", job), tok, nil); r.Status != 400 {
		t.Errorf("kill a finished job: HTTP %d %s", r.Status, r.Raw)
	}
	// cvpysdk.py make_request: on a 401 it posts RenewLoginToken with the
	// token it has; the answer must never be a 401 (it would loop).
	if r := n.call(t, "POST", "/commandcenter/api/RenewLoginToken", "QSDK expired", map[string]any{"sessionId": "QSDK expired"}); r.Status != 200 || r.str("error.errLogMessage") == "" {
		t.Errorf("RenewLoginToken with an ended token: HTTP %d %s", r.Status, r.Raw)
	}
	renewed := n.call(t, "POST", "/commandcenter/api/RenewLoginToken", tok, map[string]any{"sessionId": tok, "deviceId": "x"}).must(t, 200)
	if nt := renewed.str("token"); nt == "" || nt == tok {
		t.Fatalf("RenewLoginToken of a live token: %s", renewed.Raw)
	}
	n.call(t, "GET", "/commandcenter/api/CommServ", tok, nil).mustError(t, 401, int(codeInvalidUser))
	n.call(t, "GET", "/commandcenter/api/CommServ", renewed.str("token"), nil).must(t, 200)
}

// present checks that path exists in v ("*" walks each element of a
// non-empty list); asString also requires a string at the end.
func present(v any, path []string, asString bool) error {
	if len(path) == 0 {
		if _, ok := v.(string); asString && !ok {
			return fmt.Errorf("%T, not a string", v)
		}
		return nil
	}
	switch c := v.(type) {
	case map[string]any:
		next, ok := c[path[0]]
		if !ok {
			return fmt.Errorf("no key %q", path[0])
		}
		return present(next, path[1:], asString)
	case []any:
		if path[0] == "*" {
			if len(c) == 0 {
				return fmt.Errorf("empty list")
			}
			for i, el := range c {
				if err := present(el, path[1:], asString); err != nil {
					return fmt.Errorf("[%d]: %w", i, err)
				}
			}
			return nil
		}
		var i int
		if _, err := fmt.Sscan(path[0], &i); err != nil || i >= len(c) {
			return fmt.Errorf("no element %s", path[0])
		}
		return present(c[i], path[1:], asString)
	}
	return fmt.Errorf("%s: %T is not an object or list", path[0], v)
}

// TestAdminIsAUser: the administrator has a userId in WhoAmI and
// /V4/user, holds its own S3 key (PUT /V4/User/S3AccessKey) and owns a
// vault; it cannot be deleted or disabled while its account exists.
func TestAdminIsAUser(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	tok := n.admin(t)
	who := n.call(t, "GET", "/commandcenter/api/v2/WhoAmI", tok, nil).must(t, 200)
	uid := who.num("user.userId")
	if uid == 0 || who.str("user.userName") != testAdmin {
		t.Fatalf("WhoAmI: %s", who.Raw)
	}
	users := n.call(t, "GET", "/commandcenter/api/V4/user", tok, nil).must(t, 200)
	found := false
	for _, u := range users.list("users") {
		m := u.(map[string]any)
		if m["name"] == testAdmin && fmt.Sprint(m["id"]) == fmt.Sprint(uid) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the administrator is not in /V4/user: %s", users.Raw)
	}
	key := n.call(t, "PUT", "/commandcenter/api/V4/User/S3AccessKey", tok, nil).must(t, 200)
	ak, sk := key.str("accessKeyID"), key.str("secretAccessKey")
	if ak == "" || sk == "" || key.num("userId") != uid {
		t.Fatalf("own key: %s", key.Raw)
	}
	plan := n.mkPlan(t, tok, "p", 7)
	n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", tok, map[string]any{"bucket": map[string]any{"clientName": "admin-vault"},
		"plan": map[string]any{"planId": plan}, "owners": []any{map[string]any{"userId": uid, "_type_": 13}}}).must(t, 200)
	c := n.s3client(ak, sk)
	if err := put(c, "admin-vault", "k", "v"); err != nil {
		t.Fatalf("the administrator cannot write its vault: %v", err)
	}
	n.call(t, "DELETE", fmt.Sprintf("/commandcenter/api/V4/user/%d", uid), tok, nil).mustError(t, 409, int(codeInvalidOperationType))
	n.call(t, "PUT", fmt.Sprintf("/commandcenter/api/user/%d/disable", uid), tok, nil).mustError(t, 409, int(codeInvalidOperationType))
}

// TestUserEnableDisable: PUT /user/{id}/disable stops the user's S3 keys
// and logins at once; enable brings them back.
func TestUserEnableDisable(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	tok := n.admin(t)
	uid := n.mkUser(t, tok, "carol", "carol-password")
	ak, sk := n.keys(t, tok, uid)
	plan := n.mkPlan(t, tok, "p", 7)
	n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", tok, map[string]any{"bucket": map[string]any{"clientName": "carol-vault"},
		"plan": map[string]any{"planId": plan}, "owners": []any{map[string]any{"userId": uid}}}).must(t, 200)
	c := n.s3client(ak, sk)
	if err := put(c, "carol-vault", "a", "1"); err != nil {
		t.Fatal(err)
	}
	userTok := n.login(t, "carol", "carol-password")
	r := n.call(t, "PUT", fmt.Sprintf("/commandcenter/api/user/%d/disable", uid), tok, nil).must(t, 200)
	if r.str("response.0.errorCode") != "0" {
		t.Fatalf("disable: %s", r.Raw)
	}
	if err := put(c, "carol-vault", "b", "2"); s3code(err) != "InvalidAccessKeyId" {
		t.Fatalf("a disabled user's key still works: %v", err)
	}
	n.call(t, "GET", "/commandcenter/api/V4/User/S3AccessKey", userTok, nil).mustError(t, 401, int(codeInvalidUser))
	n.call(t, "POST", "/commandcenter/api/Login", "", map[string]any{"username": "carol", "password": b64("carol-password")}).must(t, 401)
	if u := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/User/%d", uid), tok, nil).must(t, 200); u.str("users.0.enableUser") != "false" {
		t.Fatalf("legacy user after disable: %s", u.Raw)
	}
	// cvpysdk's User.status = True: POST User/{id} {users: [{enableUser}]}.
	r = n.call(t, "POST", fmt.Sprintf("/commandcenter/api/User/%d?Level=50", uid), tok, map[string]any{"users": []any{map[string]any{"enableUser": true}}}).must(t, 200)
	if r.str("response.0.errorCode") != "0" {
		t.Fatalf("enable: %s", r.Raw)
	}
	if err := put(c, "carol-vault", "b", "2"); err != nil {
		t.Fatalf("the key does not work again after enable: %v", err)
	}
}

// TestAccessTokens: POST /V4/AccessToken, the token acting as its
// creator, POST /V4/AccessToken/Renew (no session; the old pair ends, a
// refresh token works once), DELETE revoking both.
func TestAccessTokens(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	tok := n.admin(t)
	created := n.call(t, "POST", "/commandcenter/api//V4/AccessToken", tok, map[string]any{"tokenName": "ci", "tokenType": 0}).must(t, 200)
	if created.str("error.errorCode") != "0" {
		t.Fatalf("create: %s", created.Raw)
	}
	access, refresh := created.str("tokenInfo.accessToken"), created.str("tokenInfo.refreshToken")
	id := created.num("tokenInfo.accessTokenId")
	if access == "" || refresh == "" || id == 0 || created.num("tokenInfo.userId") == 0 ||
		created.num("tokenInfo.tokenExpiryTimestamp") == 0 || created.num("tokenInfo.renewableUntilTimestamp") == 0 {
		t.Fatalf("tokenInfo: %s", created.Raw)
	}
	n.call(t, "GET", "/commandcenter/api/V4/user", access, nil).must(t, 200) // raw, as the MCP server sends it
	n.call(t, "GET", "/commandcenter/api/V4/user", "QSDK "+access, nil).must(t, 200)
	renewed := n.call(t, "POST", "/commandcenter/api/V4/AccessToken/Renew", "", map[string]any{"accessToken": access, "refreshToken": refresh}).must(t, 200)
	a2, r2 := renewed.str("accessToken"), renewed.str("refreshToken")
	if a2 == "" || r2 == "" || a2 == access || r2 == refresh {
		t.Fatalf("renew: %s", renewed.Raw)
	}
	n.call(t, "GET", "/commandcenter/api/V4/user", access, nil).mustError(t, 401, int(codeInvalidUser))
	n.call(t, "GET", "/commandcenter/api/V4/user", a2, nil).must(t, 200)
	n.call(t, "POST", "/commandcenter/api/V4/AccessToken/Renew", "", map[string]any{"accessToken": access, "refreshToken": refresh}).
		mustError(t, 400, int(codeRefreshTokenExpired))
	list := n.call(t, "GET", "/commandcenter/api/V4/AccessToken", tok, nil).must(t, 200)
	if len(list.list("tokens")) != 1 || strings.Contains(list.Raw, a2) {
		t.Fatalf("list: %s", list.Raw)
	}
	r := n.call(t, "DELETE", fmt.Sprintf("/commandcenter/api/V4/AccessToken/%d", id), tok, nil).must(t, 200)
	if r.str("errorCode") != "0" {
		t.Fatalf("revoke: %s", r.Raw)
	}
	n.call(t, "GET", "/commandcenter/api/V4/user", a2, nil).mustError(t, 401, int(codeInvalidUser))
	n.call(t, "POST", "/commandcenter/api/V4/AccessToken/Renew", "", map[string]any{"accessToken": a2, "refreshToken": r2}).
		mustError(t, 400, int(codeRefreshTokenExpired))
	// A user's token acts as the user: no administrator's API.
	uid := n.mkUser(t, tok, "dave", "dave-password")
	ut := n.login(t, "dave", "dave-password")
	ucreated := n.call(t, "POST", "/commandcenter/api/V4/AccessToken", ut, map[string]any{"tokenName": "mine"}).must(t, 200)
	if ucreated.num("tokenInfo.userId") != uid {
		t.Fatalf("user token: %s", ucreated.Raw)
	}
	n.call(t, "GET", "/commandcenter/api/V4/user", ucreated.str("tokenInfo.accessToken"), nil).mustError(t, 403, int(codeInsufficientPermission))
	n.call(t, "GET", "/commandcenter/api/V4/User/S3AccessKey", ucreated.str("tokenInfo.accessToken"), nil).must(t, 200)
}

// TestMultiJobOperation: kill through POST /Jobs/MultiJobOperation, and
// suspend refused per job.
func TestMultiJobOperation(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	created := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("mj-vault", int64(n.h.Node().ID))).must(t, 200)
	job := created.num("addEndpointJob.jobId")
	n.waitJob(t, f.token, job)
	r := n.call(t, "POST", "/commandcenter/api/Jobs/MultiJobOperation", f.token, map[string]any{"message": 1,
		"jobOpReq": map[string]any{"operationType": 0, "jobs": []any{map[string]any{"jobId": job}}}, "operationDescription": "test"}).must(t, 200)
	if r.str("errorCode") == "0" || r.str("jobs.0.errorCode") == "0" {
		t.Fatalf("suspend should fail per job: %s", r.Raw)
	}
	r = n.call(t, "POST", "/commandcenter/api/Jobs/MultiJobOperation", f.token, map[string]any{"message": 1,
		"jobOpReq": map[string]any{"operationType": "JOB_KILL", "jobs": []any{map[string]any{"jobId": job}}}}).must(t, 200)
	if r.str("jobs.0.jobId") != fmt.Sprint(job) || r.str("jobs.0.errorMessage") == "" {
		t.Fatalf("kill of a finished job is refused per job: %s", r.Raw)
	}
	n.call(t, "POST", "/commandcenter/api/Jobs/MultiJobOperation", f.token, map[string]any{"jobOpReq": map[string]any{"operationType": 9}}).
		mustError(t, 400, int(codeInvalidInput))
}
