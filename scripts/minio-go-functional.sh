#!/usr/bin/env bash
# minio-go-functional.sh: minio-go's functional tests (the S3 conformance suite MinIO's mint
# runs) against a fresh Coffer or against MinIO, with a table of test, status and error.
#
#   scripts/minio-go-functional.sh [coffer]   # a fresh Coffer built from this tree; fails if a
#                                             # test of test/e2e/testdata/miniogo_functional_pass.txt fails
#   scripts/minio-go-functional.sh minio      # MinIO from bench/minio.sh (install it first), for comparison
#
# Env: MINT_MODE (full; core runs only testFunctional and testFunctionalV2), MINIO_GO_TESTS
#   ("testA testB": only those), MINIO_GO_LOG (a file for the raw JSON log lines).
# The test itself is TestMinioGoFunctional in test/e2e/miniogo_functional_test.go: it takes
# functional_tests.go from the minio-go module in the Go module cache (downloading it when
# missing), builds it in a temporary module and creates mint's data files.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { nice -n "${NICE:-15}" go test -count=1 -v -timeout 30m -run '^TestMinioGoFunctional$' ./test/e2e/; }

case ${1:-coffer} in
coffer)
  run
  ;;
minio)
  # A state directory and port of its own, so a benchmark's MinIO is never touched; a KMS key so
  # that the SSE-S3 tests run on MinIO too (Coffer has its built-in KMS).
  export TMPDIR=${MINIO_GO_STATE:-/tmp/coffer-minio-go} MINIO_PORT=${MINIO_PORT:-19400}
  export BENCH_BIN=${BENCH_BIN:-/tmp/coffer-bench/bin}
  mkdir -p "$TMPDIR"
  export MINIO_KMS_SECRET_KEY=${MINIO_KMS_SECRET_KEY:-minio-go-test:$(head -c 32 /dev/urandom | base64)}
  out=$(bench/minio.sh start)
  trap 'bench/minio.sh stop' EXIT
  eval "$(echo "$out" | tr ' ' '\n' | grep -E '^(ENDPOINT|ACCESS_KEY|SECRET_KEY)=')"
  COFFER_E2E_ENDPOINT=$ENDPOINT COFFER_E2E_ACCESS_KEY=$ACCESS_KEY COFFER_E2E_SECRET_KEY=$SECRET_KEY run
  ;;
*)
  sed -n '2,13p' "$0"
  exit 2
  ;;
esac
