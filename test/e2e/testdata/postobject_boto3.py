#!/usr/bin/env python3
"""boto3's generate_presigned_post for Coffer's e2e suite.

Usage: postobject_boto3.py BUCKET
Env:   COFFER_E2E_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
Prints one JSON object: presigned posts ({"url", "fields"}) for the Go test
to send with curl, and the outcome of one upload sent here with requests.
"""
import json
import os
import sys

import boto3
import requests
from botocore.config import Config


def client(sigver):
    cfg = Config(signature_version=sigver, s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    return boto3.client("s3", endpoint_url=os.environ["COFFER_E2E_ENDPOINT_URL"], region_name="us-east-1", config=cfg)


def main():
    bucket = sys.argv[1]
    v4, v2 = client("s3v4"), client("s3")
    out = {}

    # ${filename}, Content-Type and metadata fields, a 201 answer, a size range.
    out["main"] = v4.generate_presigned_post(
        bucket, "uploads/${filename}",
        Fields={"Content-Type": "text/plain", "x-amz-meta-origin": "browser", "success_action_status": "201"},
        Conditions=[{"Content-Type": "text/plain"}, {"x-amz-meta-origin": "browser"},
                    {"success_action_status": "201"}, ["content-length-range", 1, 1000]],
        ExpiresIn=600)
    # Sent here with requests, as a browser-like client.
    m = out["main"]
    r = requests.post(m["url"], data=m["fields"], files={"file": ("hello.txt", b"hello from requests")})
    out["requests_status"] = r.status_code
    out["requests_body"] = r.text
    out["requests_etag"] = r.headers.get("ETag", "")

    out["redirect"] = v4.generate_presigned_post(
        bucket, "redirected.txt",
        Fields={"success_action_redirect": "http://example.com/done?x=1"},
        Conditions=[{"success_action_redirect": "http://example.com/done?x=1"}], ExpiresIn=600)
    out["plain"] = v4.generate_presigned_post(bucket, "plain.txt", ExpiresIn=600)
    out["short"] = v4.generate_presigned_post(bucket, "short.txt", ExpiresIn=1)
    out["starts"] = v4.generate_presigned_post(
        bucket, "starts.txt", Fields={"Content-Type": "image/png"},
        Conditions=[["starts-with", "$Content-Type", "image/"]], ExpiresIn=600)
    out["v2"] = v2.generate_presigned_post(
        bucket, "v2/${filename}", Fields={"success_action_status": "200"},
        Conditions=[{"success_action_status": "200"}], ExpiresIn=600)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
