#!/usr/bin/env bash
# scripts/test.sh: Coffer's whole test suite, exactly what CI runs.
#
#   scripts/test.sh            # everything: hygiene, unit (+race), fuzz (briefly), end-to-end
#   FUZZ_BUDGET=600 scripts/test.sh   # seconds of fuzzing in all, split across the targets
#   FUZZTIME=30s scripts/test.sh      # or a fixed time per target
#   SKIP_E2E=1 scripts/test.sh # unit tests only
#
# It installs what the tests need when it is missing (the aws CLI, boto3,
# s3cmd and Ansible with its netapp.ontap collection come from Debian's
# packages).
set -euo pipefail
cd "$(dirname "$0")/.."
# Fuzzing gets a total budget split evenly across the targets (at least 2 s
# each), so that adding targets does not grow CI time; FUZZTIME fixes the
# time per target instead.
FUZZ_BUDGET=${FUZZ_BUDGET:-120}
export GOFLAGS=${GOFLAGS:--mod=mod}

step() { printf '\n== %s\n' "$*"; }

ensure_tools() {
  if ! command -v go >/dev/null; then
    [ -x /usr/local/go/bin/go ] && export PATH=$PATH:/usr/local/go/bin || { echo "Go is required (https://go.dev/dl)"; exit 1; }
  fi
  local need=()
  command -v aws >/dev/null || need+=(awscli)
  python3 -c 'import boto3' 2>/dev/null || need+=(python3-boto3)
  command -v curl >/dev/null || need+=(curl)
  command -v s3cmd >/dev/null || need+=(s3cmd)
  python3 -c 'import requests' 2>/dev/null || need+=(python3-requests)
  command -v rclone >/dev/null || need+=(rclone)
  command -v restic >/dev/null || need+=(restic)
  # Ansible with the netapp.ontap collection (bundled by Debian's package;
  # its REST modules need only requests) for test/e2e/ontap_ansible_real_test.go.
  { command -v ansible-playbook >/dev/null && ansible-galaxy collection list netapp.ontap 2>/dev/null | grep -q netapp.ontap; } || need+=(ansible)
  if [ ${#need[@]} -gt 0 ]; then
    step "installing ${need[*]}"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || echo "warning: could not install ${need[*]}"
    else
      echo "warning: missing ${need[*]} and cannot apt-get install them; the tests that need them will fail"
    fi
  fi
}

ensure_tools

step "gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$bad" ]; then echo "gofmt needed on:"; echo "$bad"; exit 1; fi

step "go vet"
go vet ./...

step "unit tests (race detector on the concurrent packages)"
go test -count=1 -race ./internal/kv/... ./internal/blob/... ./internal/objects/... ./internal/core/...
go test -count=1 $(go list ./... | grep -v -E '/internal/(kv|blob|objects|core)(/|$)|/test/e2e$')

targets=()
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -h -o '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    targets+=("$pkg $target")
  done
done
if [ -z "${FUZZTIME:-}" ]; then
  per=$(( FUZZ_BUDGET / (${#targets[@]} > 0 ? ${#targets[@]} : 1) ))
  FUZZTIME="$(( per < 2 ? 2 : per ))s"
fi
step "fuzz targets: ${#targets[@]}, ${FUZZTIME} each"
for entry in "${targets[@]}"; do
  pkg=${entry% *}; target=${entry#* }
  {
    echo "-- $pkg $target"
    log=$(mktemp)
    for attempt in 1 2 3; do
      if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg" >"$log" 2>&1; then break; fi
      # Go's fuzzer can time out stopping a busy worker ("context deadline
      # exceeded") on a loaded machine without having found anything; only a
      # written failing input is a real failure.
      if grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log" || [ $attempt = 3 ]; then
        cat "$log"; exit 1
      fi
      echo "   (fuzzer shutdown timed out without a finding; again)"
    done
    rm -f "$log"
  }
done

if [ -z "${SKIP_E2E:-}" ]; then
  step "end-to-end (built binary, aws-sdk-go-v2, aws CLI, boto3, curl, ansible)"
  go test -count=1 -timeout 20m ./test/e2e/...
fi
echo
echo "all tests passed"
