#!/usr/bin/env python3
"""boto3 with Signature Version 2 (signature_version='s3') for Coffer's e2e suite.

Usage: sigv2_boto3.py BUCKET
Env:   COFFER_E2E_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
Prints one JSON object: presigned URLs (GET of an object it wrote, PUT of
"py/presigned-put.txt") and what the client saw; exits 1 on any mismatch.
"""
import hashlib
import json
import os
import sys

import boto3
from botocore.config import Config


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    bucket = sys.argv[1]
    cfg = Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    s3 = boto3.client("s3", endpoint_url=os.environ["COFFER_E2E_ENDPOINT_URL"], region_name="us-east-1", config=cfg)
    result = {}

    body = os.urandom(50_000)
    put = s3.put_object(Bucket=bucket, Key="py/v2 obj+1.bin", Body=body, Metadata={"signed": "v2"},
                        ContentType="application/x-test")
    if put["ETag"] != '"%s"' % hashlib.md5(body).hexdigest():
        fail("put_object ETag %s" % put["ETag"])
    got = s3.get_object(Bucket=bucket, Key="py/v2 obj+1.bin")
    if got["Body"].read() != body:
        fail("get_object body differs")
    if got["Metadata"].get("signed") != "v2" or got["ContentType"] != "application/x-test":
        fail("metadata %r %r" % (got["Metadata"], got["ContentType"]))
    head = s3.head_object(Bucket=bucket, Key="py/v2 obj+1.bin")
    result["head_length"] = head["ContentLength"]

    for i in range(3):
        s3.put_object(Bucket=bucket, Key="py/list/k%d" % i, Body=b"x")
    lst = s3.list_objects_v2(Bucket=bucket, Prefix="py/", Delimiter="/")
    result["list_keys"] = sorted(o["Key"] for o in lst.get("Contents", []))
    result["list_prefixes"] = sorted(p["Prefix"] for p in lst.get("CommonPrefixes", []))
    lst1 = s3.list_objects(Bucket=bucket, Prefix="py/list/")
    result["list_v1_keys"] = sorted(o["Key"] for o in lst1.get("Contents", []))

    # Sub-resources in the canonical resource: tagging, then a multipart upload.
    s3.put_object_tagging(Bucket=bucket, Key="py/list/k0", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    tags = s3.get_object_tagging(Bucket=bucket, Key="py/list/k0")["TagSet"]
    result["tags"] = [[t["Key"], t["Value"]] for t in tags]
    # The upload names the checksum botocore sends with each part by default.
    up = s3.create_multipart_upload(Bucket=bucket, Key="py/mpu.bin", ChecksumAlgorithm="CRC32")
    part = os.urandom(5 * 1024 * 1024)
    p1 = s3.upload_part(Bucket=bucket, Key="py/mpu.bin", UploadId=up["UploadId"], PartNumber=1, Body=part)
    p2 = s3.upload_part(Bucket=bucket, Key="py/mpu.bin", UploadId=up["UploadId"], PartNumber=2, Body=b"tail")
    s3.complete_multipart_upload(Bucket=bucket, Key="py/mpu.bin", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
    result["mpu_size"] = s3.head_object(Bucket=bucket, Key="py/mpu.bin")["ContentLength"]

    s3.delete_object(Bucket=bucket, Key="py/list/k2")
    after = s3.list_objects_v2(Bucket=bucket, Prefix="py/list/")
    result["after_delete"] = sorted(o["Key"] for o in after.get("Contents", []))
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "py/list/k1"}]})
    result["after_delete_objects"] = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="py/list/").get("Contents", []))

    result["get_url"] = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "py/v2 obj+1.bin"}, ExpiresIn=600)
    result["get_url_override"] = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "py/v2 obj+1.bin", "ResponseContentType": "text/x-override"}, ExpiresIn=600)
    result["put_url"] = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "py/presigned-put.txt"}, ExpiresIn=600)
    result["get_md5"] = hashlib.md5(body).hexdigest()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
