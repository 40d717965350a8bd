"""Drive Commvault's Python SDK (cvpysdk), unmodified, against Coffer.

Usage: cvpysdk_smoke.py SDK_DIR HOST:PORT USER PASSWORD NODE USER_NAME JOB_ID
Prints one "ok <step>" line per step; any exception fails the run.
Exit code 3 means the SDK cannot be imported (a missing dependency).
"""
import sys

sdk_dir, host, user, password, node, user_name, job_id = sys.argv[1:8]
sys.path.insert(0, sdk_dir)
try:
    from cvpysdk.commcell import Commcell
    from cvpysdk.job import Job
except ImportError as e:  # e.g. python3-future (past.builtins) missing
    print("cannot import cvpysdk: %s" % e)
    sys.exit(3)

c = Commcell(host, user, password)
print("ok connect", c.commcell_username)
print("ok commserv", c.commserv_name, c.commserv_hostname, c.commserv_timezone)

users = c.users.all_users
assert user.lower() in users, users
assert user_name.lower() in users, users
u = c.users.get(user_name)
print("ok users", sorted(users), u.user_id, u.email, u.status)

groups = c.user_groups.all_user_groups
assert groups, groups
g = c.user_groups.get(sorted(groups)[0])
print("ok user_groups", sorted(groups), g.users)

plans = c.plans.all_plans
assert plans, plans
p = c.plans.get(sorted(plans)[0])
print("ok plans", sorted(plans), p.plan_id)

clients = c.clients.all_clients
assert node.lower() in clients, clients
cl = c.clients.get(node)
print("ok clients", sorted(clients), cl.client_id, cl.os_info)

pools = c.storage_pools.all_storage_pools
assert pools, pools
print("ok storage_pools", sorted(pools))

jobs = c.job_controller.all_jobs()
assert int(job_id) in [int(j) for j in jobs], jobs
j = Job(c, job_id)
print("ok jobs", sorted(jobs), j.status, j.job_type)

c.logout()
print("ok logout")
