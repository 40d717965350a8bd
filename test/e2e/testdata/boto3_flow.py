#!/usr/bin/env python3
"""boto3 flow for Coffer's e2e suite: put/get/list and a multipart upload_file.

Usage: boto3_flow.py BUCKET WORKDIR
Env:   COFFER_E2E_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_CONFIG_FILE
Prints one JSON object with the results; exits 1 with a message on any mismatch.
"""
import hashlib
import json
import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

MiB = 1024 * 1024


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    bucket, workdir = sys.argv[1], sys.argv[2]
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["COFFER_E2E_ENDPOINT_URL"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )
    result = {}

    # put / get / head
    body = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="py/small.bin", Body=body, Metadata={"lang": "python"})
    if put["ETag"] != '"%s"' % hashlib.md5(body).hexdigest():
        fail("put_object ETag %s" % put["ETag"])
    got = s3.get_object(Bucket=bucket, Key="py/small.bin")
    data = got["Body"].read()
    if data != body:
        fail("get_object body differs (%d vs %d bytes)" % (len(data), len(body)))
    if got["Metadata"].get("lang") != "python":
        fail("metadata %r" % got["Metadata"])
    result["small_ok"] = True

    # list with prefix/delimiter
    for i in range(5):
        s3.put_object(Bucket=bucket, Key="py/list/k%d" % i, Body=b"x")
    lst = s3.list_objects_v2(Bucket=bucket, Prefix="py/", Delimiter="/")
    result["list_keys"] = sorted(o["Key"] for o in lst.get("Contents", []))
    result["list_prefixes"] = sorted(p["Prefix"] for p in lst.get("CommonPrefixes", []))
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix="py/list/", PaginationConfig={"PageSize": 2}
    )
    result["paginated_keys"] = [o["Key"] for p in pages for o in p.get("Contents", [])]

    # multipart via upload_file (20 MiB in 5 MiB parts) and download_file
    src = os.path.join(workdir, "big.bin")
    dst = os.path.join(workdir, "big.down")
    big = os.urandom(20 * MiB)
    with open(src, "wb") as f:
        f.write(big)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    s3.upload_file(src, bucket, "py/big.bin", Config=cfg)
    head = s3.head_object(Bucket=bucket, Key="py/big.bin")
    result["big_etag"] = head["ETag"]
    result["big_length"] = head["ContentLength"]
    s3.download_file(bucket, "py/big.bin", dst, Config=cfg)
    with open(dst, "rb") as f:
        down = f.read()
    if hashlib.sha256(down).digest() != hashlib.sha256(big).digest():
        fail("download_file differs (%d vs %d bytes)" % (len(down), len(big)))
    parts = [big[i : i + 5 * MiB] for i in range(0, len(big), 5 * MiB)]
    want_etag = '"%s-%d"' % (
        hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest(),
        len(parts),
    )
    result["big_want_etag"] = want_etag
    result["big_sha256"] = hashlib.sha256(big).hexdigest()

    # error mapping
    try:
        s3.get_object(Bucket=bucket, Key="py/missing")
        fail("get_object of a missing key succeeded")
    except s3.exceptions.NoSuchKey:
        result["nosuchkey"] = True

    print(json.dumps(result))


if __name__ == "__main__":
    main()
