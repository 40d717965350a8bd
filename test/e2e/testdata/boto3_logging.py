#!/usr/bin/env python3
"""boto3 and S3 server access logging, for Coffer's e2e suite.

Usage: boto3_logging.py ENDPOINT SOURCE TARGET wait|nowait
Env:   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_CONFIG_FILE

Creates SOURCE and TARGET, turns logging on for SOURCE into TARGET under
"logs/", makes requests on SOURCE, and prints one JSON object: the request
ids of those requests and, with "wait", the records delivered to TARGET
(polling until every request id is there, up to 60 s). Exits 1 with a
message on any mismatch.
"""
import json
import sys
import time

import boto3
from botocore.config import Config


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    endpoint, source, target, mode = sys.argv[1:5]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    s3.put_bucket_logging(
        Bucket=source,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "logs/"}},
    )
    status = s3.get_bucket_logging(Bucket=source)
    le = status.get("LoggingEnabled") or {}
    if le.get("TargetBucket") != target or le.get("TargetPrefix") != "logs/":
        fail("get_bucket_logging: %r" % status)

    ids = {}

    def rid(name, resp):
        ids[name] = resp["ResponseMetadata"]["RequestId"]

    rid("put", s3.put_object(Bucket=source, Key="docs/report one.txt", Body=b"x" * 1234))
    got = s3.get_object(Bucket=source, Key="docs/report one.txt")
    if len(got["Body"].read()) != 1234:
        fail("get_object body")
    rid("get", got)
    rid("head", s3.head_object(Bucket=source, Key="docs/report one.txt"))
    rid("list", s3.list_objects_v2(Bucket=source, Prefix="docs/"))
    try:
        s3.get_object(Bucket=source, Key="nope")
        fail("get_object of a missing key succeeded")
    except s3.exceptions.NoSuchKey as e:
        rid("missing", e.response)
    rid("delete", s3.delete_object(Bucket=source, Key="docs/report one.txt"))

    try:
        s3.put_bucket_logging(
            Bucket=source,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target + "-none", "TargetPrefix": "x/"}},
        )
        fail("put_bucket_logging to a missing target succeeded")
    except s3.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "InvalidTargetBucketForLogging":
            fail("missing target: %r" % e.response["Error"])

    out = {"ids": ids, "records": [], "keys": []}
    if mode == "wait":
        deadline = time.time() + 60
        while True:
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=target, Prefix="logs/").get("Contents", [])]
            lines = []
            for k in keys:
                lines += s3.get_object(Bucket=target, Key=k)["Body"].read().decode().splitlines()
            if all(any(i in l for l in lines) for i in ids.values()):
                out["records"], out["keys"] = lines, keys
                break
            if time.time() > deadline:
                fail("records not delivered within 60 s: %d lines in %r" % (len(lines), keys))
            time.sleep(0.5)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
