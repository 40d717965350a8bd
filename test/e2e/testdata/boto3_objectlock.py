# boto3: Object Lock. A Compliance-locked version survives every delete;
# Governance yields only to BypassGovernanceRetention; legal holds.
import datetime
import os
import sys

import boto3
from botocore.exceptions import ClientError

bucket = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=os.environ["COFFER_E2E_ENDPOINT_URL"])


def code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"


s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
    "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
cfg = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
assert cfg["Rule"]["DefaultRetention"] == {"Mode": "COMPLIANCE", "Days": 1}, cfg

v = s3.put_object(Bucket=bucket, Key="k", Body=b"boto3 locked")["VersionId"]
ret = s3.get_object_retention(Bucket=bucket, Key="k", VersionId=v)["Retention"]
assert ret["Mode"] == "COMPLIANCE", ret
head = s3.head_object(Bucket=bucket, Key="k", VersionId=v)
assert head["ObjectLockMode"] == "COMPLIANCE", head
assert head["ObjectLockRetainUntilDate"] > datetime.datetime.now(datetime.timezone.utc), head

assert code(s3.delete_object, Bucket=bucket, Key="k", VersionId=v) == "AccessDenied"
assert code(s3.delete_object, Bucket=bucket, Key="k", VersionId=v, BypassGovernanceRetention=True) == "AccessDenied"
res = s3.delete_objects(Bucket=bucket, BypassGovernanceRetention=True,
                        Delete={"Objects": [{"Key": "k", "VersionId": v}]})
assert [e["Code"] for e in res.get("Errors", [])] == ["AccessDenied"], res
assert code(s3.delete_bucket, Bucket=bucket) == "BucketNotEmpty"
soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
assert code(s3.put_object_retention, Bucket=bucket, Key="k", VersionId=v, BypassGovernanceRetention=True,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": soon}) == "AccessDenied"

until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
g = s3.put_object(Bucket=bucket, Key="g", Body=b"gov", ObjectLockMode="GOVERNANCE",
                  ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")["VersionId"]
assert s3.get_object_legal_hold(Bucket=bucket, Key="g", VersionId=g)["LegalHold"]["Status"] == "ON"
assert code(s3.delete_object, Bucket=bucket, Key="g", VersionId=g, BypassGovernanceRetention=True) == "AccessDenied"
s3.put_object_legal_hold(Bucket=bucket, Key="g", VersionId=g, LegalHold={"Status": "OFF"})
assert code(s3.delete_object, Bucket=bucket, Key="g", VersionId=g) == "AccessDenied"
s3.delete_object(Bucket=bucket, Key="g", VersionId=g, BypassGovernanceRetention=True)
assert s3.get_object(Bucket=bucket, Key="k", VersionId=v)["Body"].read() == b"boto3 locked"
print("OK")
