#!/usr/bin/env bash
# pg.sh: a throwaway PostgreSQL cluster for benchmarks (issue 10), durable (fsync on, unlike the
# test suite's), on a unix socket in a temp dir, owned by an unprivileged user when run as root.
#
#   eval "$(bench/pg.sh start)"    # exports COFFER_METADATA=postgres://... and BENCH_PG_DIR
#   bench/pg.sh stop               # stops the cluster in $BENCH_PG_DIR and removes it
#
# Debian's postgresql package provides the server (scripts/test.sh installs it when missing).
set -euo pipefail

port=${BENCH_PG_PORT:-55434}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n $bin ]] || { echo "pg.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }
user=""
as=()
if [[ $(id -u) == 0 ]]; then
  user=coffer-test
  id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user" 2>/dev/null || user=nobody
  as=(runuser -u "$user" --)
fi

case ${1:-} in
start)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench-pg.XXXXXX")
  [[ -z $user ]] || chown "$user" "$dir"
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U coffer --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $dir -p $port -c max_connections=300 -c shared_buffers=128MB" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "export COFFER_METADATA='postgres://coffer@/postgres?host=$dir&port=$port' BENCH_PG_DIR='$dir'"
  ;;
stop)
  dir=${BENCH_PG_DIR:?BENCH_PG_DIR is not set (eval the output of bench/pg.sh start)}
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: bench/pg.sh start|stop" >&2; exit 2
  ;;
esac
