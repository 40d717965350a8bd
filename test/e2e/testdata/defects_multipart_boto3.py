#!/usr/bin/env python3
"""boto3's low-level multipart calls with default settings (issue 7 defects).

create_multipart_upload without ChecksumAlgorithm, upload_part for each file
(botocore >= 1.36 adds its default CRC32 part checksum), then
complete_multipart_upload with only PartNumber and ETag, as a user of the
low-level client writes it. Then head_object and get_object with
ChecksumMode=ENABLED, get_object_attributes.

Usage: defects_multipart_boto3.py BUCKET KEY PARTFILE...
Env:   COFFER_E2E_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_CONFIG_FILE
Prints one JSON object with what the server answered.
"""
import json
import os
import sys

import boto3


def pick(d, *names):
    return {n: d.get(n) for n in names if d.get(n) is not None}


SUMS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256", "ChecksumType")


def main():
    bucket, key, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    s3 = boto3.client("s3", endpoint_url=os.environ["COFFER_E2E_ENDPOINT_URL"], region_name="us-east-1")
    out = {}
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)
    uid = up["UploadId"]
    parts, uploaded = [], []
    for i, name in enumerate(files, start=1):
        with open(name, "rb") as f:
            data = f.read()
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=i, Body=data)
        uploaded.append(pick(r, *SUMS))
        parts.append({"PartNumber": i, "ETag": r["ETag"]})
    out["upload_part"] = uploaded
    lp = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid)
    out["list_parts"] = [pick(p, *SUMS) for p in lp.get("Parts", [])]
    c = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": parts})
    out["complete"] = pick(c, "ETag", *SUMS)
    h = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    out["head"] = pick(h, "ETag", "ContentLength", *SUMS)
    g = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    body = g["Body"].read()
    out["get"] = pick(g, "ETag", *SUMS)
    out["get_len"] = len(body)
    a = s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["ETag", "Checksum", "ObjectParts", "ObjectSize"])
    out["attributes"] = {
        "Checksum": a.get("Checksum", {}),
        "Parts": [pick(p, "PartNumber", "Size", *SUMS) for p in a.get("ObjectParts", {}).get("Parts", [])],
        "ObjectSize": a.get("ObjectSize"),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
