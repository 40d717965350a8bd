# boto3: ownership controls, public access block, bucket and object ACLs.
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


s3.create_bucket(Bucket=bucket, ObjectOwnership="ObjectWriter")
oc = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
assert oc == "ObjectWriter", oc
assert code(s3.put_bucket_acl, Bucket=bucket, ACL="public-read") == "AccessDenied"
s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
    "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
assert pab == {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}, pab
s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
acl = s3.get_bucket_acl(Bucket=bucket)
uris = [(g["Grantee"].get("URI"), g["Permission"]) for g in acl["Grants"]]
assert ("http://acs.amazonaws.com/groups/global/AllUsers", "READ") in uris, uris
owner = s3.list_buckets()["Owner"]
assert acl["Owner"]["ID"] == owner["ID"] and acl["Owner"]["DisplayName"] == owner["DisplayName"], (acl["Owner"], owner)
s3.put_object(Bucket=bucket, Key="public.txt", Body=b"hello", ACL="public-read")
oacl = s3.get_object_acl(Bucket=bucket, Key="public.txt")
assert oacl["Owner"]["ID"] == owner["ID"], oacl
assert len(oacl["Grants"]) == 2, oacl["Grants"]
assert code(s3.put_object_acl, Bucket=bucket, Key="public.txt", ACL="no-such-acl") == "InvalidArgument"
s3.delete_bucket_ownership_controls(Bucket=bucket)
assert code(s3.get_bucket_ownership_controls, Bucket=bucket) == "OwnershipControlsNotFoundError"
print("OK")
