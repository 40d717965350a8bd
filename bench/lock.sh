#!/usr/bin/env bash
# lock.sh: put4k into a bucket with a default Object Lock retention against an unlocked
# (versioned) bucket, on one Coffer server, alternating runs (plain, locked, plain, locked, ...),
# then the ratio. Both runs send Content-MD5 (S3 requires an integrity check on PUTs into a
# bucket with a default retention), so the only difference is the lock.
#
#   bench/lock.sh [--duration 25s] [--rounds 2]
#
# Env: DURATION (25s), ROUNDS (2), COFFER_PORT (19200), COFFER_ADMIN_PORT (19201),
#   COFFER_BIN (a prebuilt coffer binary instead of building ./cmd/coffer). Needs the aws CLI.
set -euo pipefail

ROOT=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
cd "$ROOT"
DURATION=${DURATION:-25s} ROUNDS=${ROUNDS:-2}
COFFER_PORT=${COFFER_PORT:-19200} COFFER_ADMIN_PORT=${COFFER_ADMIN_PORT:-19201}
while (($#)); do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
AK=LOCKBENCHACCESSKEY01 SK=lockBenchSecretKey000000000000000000000001
TMP=$(mktemp -d)
pid=""
cleanup() { [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

mkdir -p "$TMP/bin" "$TMP/data"
if [[ -n ${COFFER_BIN:-} ]]; then cp "$COFFER_BIN" "$TMP/bin/coffer"; else go build -o "$TMP/bin/coffer" ./cmd/coffer; fi
go build -o "$TMP/bin/coffer-bench" ./cmd/coffer-bench
COFFER_ROOT_ACCESS_KEY=$AK COFFER_ROOT_SECRET_KEY=$SK "$TMP/bin/coffer" server --data-dir "$TMP/data" \
  --s3-addr "127.0.0.1:$COFFER_PORT" --admin-addr "127.0.0.1:$COFFER_ADMIN_PORT" >"$TMP/coffer.log" 2>&1 </dev/null &
pid=$!
EP=http://127.0.0.1:$COFFER_PORT
for _ in $(seq 1 120); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$EP/" || true) != 000 ]] && break
  sleep 0.5
done
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
s3api() { aws --endpoint-url "$EP" s3api "$@" >/dev/null; }

: >"$TMP/results.jsonl"
for round in $(seq 1 "$ROUNDS"); do
  for kind in plain locked; do
    b=bench-$kind-$round
    if [[ $kind == locked ]]; then
      s3api create-bucket --bucket "$b" --object-lock-enabled-for-bucket
      s3api put-object-lock-configuration --bucket "$b" --object-lock-configuration \
        '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}'
    else
      s3api create-bucket --bucket "$b"
      s3api put-bucket-versioning --bucket "$b" --versioning-configuration Status=Enabled
    fi
    log "round $round: put4k into $b for $DURATION"
    "$TMP/bin/coffer-bench" -endpoint "$EP" -access-key "$AK" -secret-key "$SK" -workload put4k \
      -duration "$DURATION" -bucket "$b" -content-md5 -server-pid "$pid" -label "$kind" -json >>"$TMP/results.jsonl"
  done
done
"$TMP/bin/coffer-bench" -compare "$TMP/results.jsonl" -peer plain -subject locked
