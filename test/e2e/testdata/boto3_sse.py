#!/usr/bin/env python3
"""boto3 server-side encryption flow for Coffer's e2e suite.

Usage: boto3_sse.py BUCKET
Env:   COFFER_E2E_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_CONFIG_FILE
Prints OK; exits 1 with a message on any mismatch.
"""
import io
import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

MiB = 1024 * 1024


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def expect_error(fn, code, status):
    try:
        fn()
    except ClientError as e:
        got = e.response["Error"].get("Code")
        st = e.response["ResponseMetadata"]["HTTPStatusCode"]
        if (code and got != code) or st != status:
            fail("want %s/%d, got %s/%d" % (code, status, got, st))
        return
    fail("want %s/%d, got success" % (code, status))


def main():
    bucket = sys.argv[1]
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["COFFER_E2E_ENDPOINT_URL"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    data = (b"COFFER-SSE-E2E-PLAINTEXT-MARKER:" * 400000)[: 11 * MiB + 7]
    key = b"k" * 32  # botocore base64-encodes the key and adds its MD5
    other = b"o" * 32

    # SSE-S3 and SSE-KMS with put_object; headers come back.
    r = s3.put_object(Bucket=bucket, Key="s3", Body=data[:1000], ServerSideEncryption="AES256")
    if r.get("ServerSideEncryption") != "AES256":
        fail("put SSE-S3: %r" % r.get("ServerSideEncryption"))
    r = s3.put_object(Bucket=bucket, Key="kms", Body=data[:1000], ServerSideEncryption="aws:kms")
    if r.get("ServerSideEncryption") != "aws:kms" or not r.get("SSEKMSKeyId"):
        fail("put SSE-KMS: %r" % r)
    if s3.get_object(Bucket=bucket, Key="kms")["Body"].read() != data[:1000]:
        fail("get SSE-KMS")

    # SSE-C through the managed transfer (multipart above 8 MiB).
    extra = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    cfg = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_fileobj(io.BytesIO(data), bucket, "c", ExtraArgs=extra, Config=cfg)
    out = io.BytesIO()
    s3.download_fileobj(bucket, "c", out, ExtraArgs=extra, Config=cfg)
    if out.getvalue() != data:
        fail("SSE-C multipart round trip")
    r = s3.get_object(Bucket=bucket, Key="c", Range="bytes=5242870-5242889", **extra)
    if r["Body"].read() != data[5242870:5242890]:
        fail("SSE-C range across parts")
    h = s3.head_object(Bucket=bucket, Key="c", **extra)
    if h.get("SSECustomerAlgorithm") != "AES256" or h["ContentLength"] != len(data):
        fail("head SSE-C: %r" % h)
    expect_error(lambda: s3.get_object(Bucket=bucket, Key="c"), "InvalidRequest", 400)
    expect_error(lambda: s3.get_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=other), "AccessDenied", 403)

    # Copy SSE-C → SSE-KMS.
    s3.copy_object(Bucket=bucket, Key="c2kms", CopySource={"Bucket": bucket, "Key": "c"},
                   CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key,
                   ServerSideEncryption="aws:kms")
    if s3.get_object(Bucket=bucket, Key="c2kms")["Body"].read() != data:
        fail("copy SSE-C to SSE-KMS")

    # Bucket default encryption.
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    g = s3.get_bucket_encryption(Bucket=bucket)
    if g["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] != "AES256":
        fail("get_bucket_encryption: %r" % g)
    r = s3.put_object(Bucket=bucket, Key="dflt", Body=b"default")
    if r.get("ServerSideEncryption") != "AES256":
        fail("default encryption not applied: %r" % r.get("ServerSideEncryption"))
    s3.delete_bucket_encryption(Bucket=bucket)
    expect_error(lambda: s3.get_bucket_encryption(Bucket=bucket), "ServerSideEncryptionConfigurationNotFoundError", 404)
    print("OK")


if __name__ == "__main__":
    main()
