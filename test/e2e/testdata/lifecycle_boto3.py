#!/usr/bin/env python3
"""boto3 and bucket lifecycle rules, for Coffer's e2e suite.

Usage: lifecycle_boto3.py ENDPOINT BUCKET
Env:   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_CONFIG_FILE

Creates BUCKET, puts a lifecycle configuration (expire "tmp/" after one
day, abort uploads after one day), reads it back, writes tmp/a and checks
head_object's Expiration, starts a multipart upload, then polls (up to 60 s:
the server's day is shortened) until tmp/a is gone and the upload aborted.
Prints "ok"; exits 1 with a message on any mismatch.
"""
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    endpoint, bucket = sys.argv[1:3]
    s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
        {"ID": "mpu", "Status": "Enabled", "Filter": {},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    ]})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    ids = sorted(r["ID"] for r in got["Rules"])
    if ids != ["mpu", "tmp"]:
        fail("rules read back: %r" % got["Rules"])
    try:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "bad", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}}]})
        fail("Days 0 accepted")
    except ClientError as e:
        if e.response["Error"]["Code"] != "InvalidArgument":
            fail("Days 0: %r" % e.response["Error"])
    s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="keep", Body=b"k")
    head = s3.head_object(Bucket=bucket, Key="tmp/a")
    exp = head.get("Expiration", "")
    if 'rule-id="tmp"' not in exp or "expiry-date=" not in exp:
        fail("head_object Expiration: %r" % exp)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    deadline = time.time() + 60
    while time.time() < deadline:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        if keys == ["keep"] and not uploads:
            print("ok")
            return
        time.sleep(0.5)
    fail("after 60 s: keys %r, uploads %r (upload %s)" % (keys, uploads, upload))


if __name__ == "__main__":
    main()
