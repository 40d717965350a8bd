#!/usr/bin/env bash
# scripts/test.sh: Coffer's whole test suite, exactly what CI runs.
#
#   scripts/test.sh            # everything: hygiene, unit (+race), fuzz (briefly), end-to-end
#   FUZZ_BUDGET=600 scripts/test.sh   # seconds of fuzzing in all, split across the targets
#   FUZZTIME=30s scripts/test.sh      # or a fixed time per target
#   SKIP_E2E=1 scripts/test.sh # unit tests only
#   SKIP_PG=1 scripts/test.sh  # without PostgreSQL (its tests skip)
#
# A throwaway PostgreSQL (Debian's server) runs for the tests of the shared
# metadata store: initialised in a temp dir by an unprivileged user, on a
# unix socket in that dir only, removed at exit. COFFER_TEST_PG_DSN given
# from outside uses that database instead.
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

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; } # the time: where CI's minutes go

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
  # A headless browser for the web console's tests (test/e2e/console_test.go).
  command -v chromium >/dev/null || need+=(chromium)
  # Ansible with the netapp.ontap collection (bundled by Debian's package;
  # its REST modules need only requests) for test/e2e/ontap_ansible_real_test.go.
  { command -v ansible-playbook >/dev/null && ansible-galaxy collection list netapp.ontap 2>/dev/null | grep -q netapp.ontap; } || need+=(ansible)
  if [ -z "${SKIP_PG:-}" ] && [ -z "${COFFER_TEST_PG_DSN:-}" ] && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    need+=(postgresql)
    # The package's own cluster (port 5432, started at install) is not wanted.
    if [ "$(id -u)" = 0 ] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
      mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
    fi
  fi
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

# start_postgres initialises and starts the throwaway cluster and exports
# COFFER_TEST_PG_DSN (and, for the e2e test that restarts PostgreSQL under
# load, COFFER_TEST_PG_BIN and COFFER_TEST_PG_USER).
PGTMP=
start_postgres() {
  if [ -n "${SKIP_PG:-}" ] || [ -n "${COFFER_TEST_PG_DSN:-}" ]; then return; fi
  local bin user=""
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ]; then echo "warning: no PostgreSQL server; its tests skip"; return; fi
  step "PostgreSQL ($bin) for the shared metadata store's tests"
  PGTMP=$(mktemp -d /tmp/coffer-pg.XXXXXX)
  local as=()
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses root: the cluster belongs to an unprivileged user.
    user=coffer-test
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user" 2>/dev/null || user=nobody
    chown "$user" "$PGTMP"
    as=(runuser -u "$user" --)
  fi
  "${as[@]}" "$bin/initdb" -D "$PGTMP/data" -U coffer --auth=trust -E UTF8 --no-sync >"$PGTMP/initdb.log" 2>&1 ||
    { cat "$PGTMP/initdb.log"; exit 1; }
  # fsync off: the tests kill Coffer, not the machine. Unix socket only.
  "${as[@]}" "$bin/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $PGTMP -p 55433 -c fsync=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB" \
    start >/dev/null || { cat "$PGTMP/server.log"; exit 1; }
  export COFFER_TEST_PG_DSN="postgres://coffer@/postgres?host=$PGTMP&port=55433"
  export COFFER_TEST_PG_BIN="$bin" COFFER_TEST_PG_USER="$user"
}
stop_postgres() {
  [ -n "$PGTMP" ] || return 0
  local as=()
  [ -n "${COFFER_TEST_PG_USER:-}" ] && as=(runuser -u "$COFFER_TEST_PG_USER" --)
  "${as[@]}" "$COFFER_TEST_PG_BIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"
}

ensure_tools
trap stop_postgres EXIT
start_postgres

step "gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$bad" ]; then echo "gofmt needed on:"; echo "$bad"; exit 1; fi

step "go vet"
go vet ./...

step "unit tests (race detector on the concurrent packages)"
go test -count=1 -race ./internal/kv/... ./internal/blob/... ./internal/objects/... ./internal/core/... ./internal/lease/... ./internal/loginguard/... ./internal/jobs/... ./internal/vaults/...
go test -count=1 $(go list ./... | grep -v -E '/internal/(kv|blob|objects|core|lease|loginguard|jobs|vaults)(/|$)|/test/e2e$')
if [ -n "${COFFER_TEST_PG_DSN:-}" ]; then
  step "object layer on PostgreSQL"
  # The Pebble power-cut tests stay on Pebble.
  COFFER_TEST_KV=postgres go test -count=1 -skip 'TestPowerCut|TestReviewGCActsOnlyOnDurableCommits' ./internal/objects/
fi

targets=() fuzz_pkgs=()
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  found=
  for target in $(grep -h -o '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    targets+=("$pkg $target $dir"); found=1
  done
  [ -z "$found" ] || fuzz_pkgs+=("$pkg")
done
if [ -z "${FUZZTIME:-}" ]; then
  per=$(( FUZZ_BUDGET / (${#targets[@]} > 0 ? ${#targets[@]} : 1) ))
  FUZZTIME="$(( per < 2 ? 2 : per ))s"
fi
# Two lanes, each fuzzing one target at a time with one worker: most of a
# target's wall time is starting its fuzzer, not fuzzing, and two lanes use
# both of CI's cores for that. Each package's fuzz-instrumented test binary
# is built once (go test -fuzz would build and link it again for every
# target), in the same lanes, and each target runs it from the package's
# directory with the flags go test -fuzz passes, so the seed corpus is read
# from and a failing input written to testdata/fuzz/<target> there, and the
# generated corpus lives in GOCACHE/fuzz/<import path> as with go test.
# Each lane logs to its own file, printed when it ends.
FUZZ_LANES=${FUZZ_LANES:-2}
fuzz_bin=$(mktemp -d)
fuzz_cache=$(go env GOCACHE)/fuzz
fuzz_binary() { echo "$fuzz_bin/${1//\//_}.test"; } # import path -> its binary
fuzz_build_lane() { # lane number; builds packages lane, lane+FUZZ_LANES, ...
  local i pkg
  for ((i = $1; i < ${#fuzz_pkgs[@]}; i += FUZZ_LANES)); do
    pkg=${fuzz_pkgs[$i]}
    go test -c -fuzz=. -o "$(fuzz_binary "$pkg")" "$pkg" || { echo "building $pkg's fuzz binary failed"; return 1; }
  done
}
fuzz_lane() { # lane number; fuzzes targets lane, lane+FUZZ_LANES, ...
  local i entry pkg dir target log attempt
  for ((i = $1; i < ${#targets[@]}; i += FUZZ_LANES)); do
    entry=${targets[$i]}
    read -r pkg target dir <<<"$entry" # dir last: it may hold spaces
    echo "-- $pkg $target"
    log=$(mktemp)
    for attempt in 1 2 3; do
      if (cd "$dir" && "$(fuzz_binary "$pkg")" -test.paniconexit0 -test.timeout=10m0s -test.run='^$' \
        -test.fuzz="^${target}\$" -test.fuzztime="$FUZZTIME" -test.parallel=1 \
        -test.fuzzcachedir="$fuzz_cache/$pkg") >"$log" 2>&1; then break; fi
      # Go's fuzzer can time out stopping a busy worker ("context deadline
      # exceeded") on a loaded machine without having found anything; only a
      # written failing input is a real failure.
      if grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log" || [ $attempt = 3 ]; then
        cat "$log"; rm -f "$log"; return 1
      fi
      echo "   (fuzzer shutdown timed out without a finding; again)"
    done
    rm -f "$log"
  done
}
# in_lanes FUNC: runs FUNC 0 .. FUNC FUZZ_LANES-1 at once and prints each
# lane's log when it ends; fails if any lane failed.
in_lanes() {
  local lane failed=0 pids=() logs=()
  for ((lane = 0; lane < FUZZ_LANES; lane++)); do
    logs+=("$(mktemp)")
    "$1" "$lane" >"${logs[$lane]}" 2>&1 &
    pids+=($!)
  done
  for ((lane = 0; lane < FUZZ_LANES; lane++)); do
    wait "${pids[$lane]}" || failed=1
    cat "${logs[$lane]}"; rm -f "${logs[$lane]}"
  done
  return $failed
}
step "fuzz targets: ${#targets[@]} in ${#fuzz_pkgs[@]} packages, ${FUZZTIME} each, ${FUZZ_LANES} lanes"
fuzz_failed=0
if in_lanes fuzz_build_lane; then in_lanes fuzz_lane || fuzz_failed=1; else fuzz_failed=1; fi
rm -rf "$fuzz_bin"
if [ "$fuzz_failed" != 0 ]; then echo "fuzzing found a failure (above)"; exit 1; fi

if [ -z "${SKIP_E2E:-}" ]; then
  step "end-to-end (built binary, aws-sdk-go-v2, aws CLI, boto3, curl, ansible)"
  go test -count=1 -timeout 20m ./test/e2e/...
fi
echo
echo "all tests passed"
