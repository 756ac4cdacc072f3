# Sourced by scripts/test.sh: a throwaway PostgreSQL cluster in a temp dir on a free port.
# `pg_cluster_start` exports CHANGEMAKER_TEST_DATABASE_URL; `pg_cluster_stop` removes it all.
# Runs the server as the `postgres` user when we are root (PostgreSQL refuses to run as root).

pg_cluster_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    echo "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin;" \
         "install the postgresql package or set CHANGEMAKER_TEST_DATABASE_URL" >&2
    return 1
  fi
  echo "$dir"
}

pg_cluster_start() {
  local bin port as_pg=()
  bin=$(pg_cluster_bin) || return 1
  PG_CLUSTER_DIR=$(mktemp -d /tmp/changemaker-pg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_CLUSTER_DIR"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$bin/initdb" -D "$PG_CLUSTER_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$PG_CLUSTER_DIR/initdb.log" 2>&1 \
    || { cat "$PG_CLUSTER_DIR/initdb.log" >&2; return 1; }
  "${as_pg[@]}" "$bin/pg_ctl" -D "$PG_CLUSTER_DIR/data" -l "$PG_CLUSTER_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_CLUSTER_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_CLUSTER_DIR/server.log" >&2; return 1; }
  PG_CLUSTER_AS=("${as_pg[@]}")
  PG_CLUSTER_CTL="$bin/pg_ctl"
  export CHANGEMAKER_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL test cluster on port $port ($PG_CLUSTER_DIR)" >&2
}

pg_cluster_stop() {
  if [ -n "${PG_CLUSTER_DIR:-}" ] && [ -d "$PG_CLUSTER_DIR/data" ]; then
    "${PG_CLUSTER_AS[@]}" "$PG_CLUSTER_CTL" -D "$PG_CLUSTER_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "${PG_CLUSTER_DIR:-}" ] && rm -rf "$PG_CLUSTER_DIR"
  PG_CLUSTER_DIR=""
}
