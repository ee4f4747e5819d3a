#!/usr/bin/env bash
# Install (if missing) and run the real PostgreSQL and Redis the test suite needs.
#
#   eval "$(scripts/services.sh up)"   # install + start (idempotent), export URLs
#   scripts/services.sh down           # stop both (fine if not running)
#   scripts/services.sh env            # only print the export lines
#
# Private instances on non-default ports, so they never clash with a system
# PostgreSQL/Redis, and no systemd is needed (CI containers have none).
# Only the `export` lines go to stdout; all chatter goes to stderr so eval works.
set -euo pipefail

SERVICES_DIR=$(realpath -m -- "${NUVERA_SERVICES_DIR:-$PWD/var/services}")
PG_PORT=${NUVERA_PG_PORT:-55432}
REDIS_PORT=${NUVERA_REDIS_PORT:-56379}
WAIT_SECONDS=30

log() { echo "services.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Ports end up in eval'd output, so refuse anything that isn't a plain number.
[[ $PG_PORT =~ ^[0-9]+$ && $REDIS_PORT =~ ^[0-9]+$ ]] || die "ports must be numeric"

# postgres refuses to run as root, so root runs it as the `postgres` OS user
# (from / so an unreadable cwd doesn't bother it). A non-root developer runs it
# as themselves and gets sudo for apt-get.
if [[ $EUID -eq 0 ]]; then
  SUDO=()
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  SUDO=(sudo)
  as_pg() { "$@"; }
fi

# Install only what is missing, so repeat runs need no network and are instant.
ensure_pkgs() {
  local p missing=()
  for p in "$@"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]} with apt-get"
  # Wait for the apt/dpkg lock rather than fail if another job is using apt.
  local apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
  "${apt[@]}" update >&2
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2
}

# Bounded wait: a broken service should fail CI fast and clearly (with the tail
# of its log), not hang it. Usage: wait_for NAME LOGFILE CMD...
wait_for() {
  local name=$1 logfile=$2 deadline=$((SECONDS + WAIT_SECONDS))
  shift 2
  while ((SECONDS < deadline)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -n 20 "$logfile" >&2 || true
  die "$name not ready after ${WAIT_SECONDS}s (log: $logfile)"
}

# Newest installed major version; avoids Debian's pg_ctlcluster/default cluster.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

# The postgres user must be able to reach its data dir (which also holds the
# socket). A checkout under /root or a 0700 home isn't traversable by it, and
# unix socket paths are limited to ~107 bytes, so in those cases fall back to
# /tmp. Deterministic, so `down` finds the same cluster `up` started.
pg_dir() {
  local d=$SERVICES_DIR/pg
  if as_pg test -x "$SERVICES_DIR" 2>/dev/null && ((${#d} < 90)); then
    echo "$d"
  else
    echo "/tmp/nuvera-services-$UID-pg"
  fi
}

pg_up() {
  local bin dir
  bin=$(pg_bin)
  [[ -n $bin ]] || die "no PostgreSQL binaries under /usr/lib/postgresql"
  mkdir -p "$SERVICES_DIR"
  dir=$(pg_dir)
  if [[ ! -s $dir/PG_VERSION ]]; then
    log "creating PostgreSQL cluster in $dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    [[ $EUID -ne 0 ]] || chown postgres: "$dir"
    # trust auth (local + 127.0.0.1): loopback-only throwaway cluster, no passwords.
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync --no-instructions >/dev/null
    # fsync/synchronous_commit/full_page_writes off: crash safety is pointless
    # for throwaway test data and these make the suite much faster.
    # NEVER copy these settings to a real database.
    cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if as_pg "$bin/pg_ctl" status -D "$dir" >/dev/null 2>&1; then
    log "PostgreSQL already running ($dir)"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT ($dir)"
    # Port is a start option (not in the conf) so NUVERA_PG_PORT can change.
    as_pg "$bin/pg_ctl" start -D "$dir" -l "$dir/server.log" -o "-p $PG_PORT" \
      -w -t "$WAIT_SECONDS" >&2 || { tail -n 20 "$dir/server.log" >&2; die "PostgreSQL failed to start"; }
  fi
  wait_for PostgreSQL "$dir/server.log" "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  # Idempotent role/database creation (\gexec runs the generated statement only if absent).
  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres >&2 <<'SQL'
SELECT 'CREATE ROLE nuvera SUPERUSER LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nuvera')\gexec
SELECT 'CREATE DATABASE nuvera OWNER nuvera' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'nuvera')\gexec
SQL
}

pg_down() {
  local bin dir
  bin=$(pg_bin)
  dir=$(pg_dir)
  if [[ -n $bin ]] && as_pg "$bin/pg_ctl" status -D "$dir" >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" stop -D "$dir" -m fast -w >&2
  else
    log "PostgreSQL not running"
  fi
}

# redis-cli has no connect/read timeout: a non-Redis listener on the port would hang it.
redis_ping() { [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

redis_up() {
  if redis_ping; then
    log "Redis already running on port $REDIS_PORT"
    return
  fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  local dir=$SERVICES_DIR/redis
  mkdir -p "$dir"
  # No persistence: tests flush what they need; snapshots would only slow them.
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save '' --appendonly no --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" </dev/null >&2
  wait_for Redis "$dir/redis.log" redis_ping
}

redis_down() {
  if command -v redis-cli >/dev/null && redis_ping; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >&2 || true
  else
    log "Redis not running"
  fi
}

print_env() {
  echo "export NUVERA_TEST_DATABASE_URL=postgresql+psycopg://nuvera@127.0.0.1:$PG_PORT/nuvera"
  echo "export NUVERA_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

case ${1:-} in
  # Plain sequences, not `a && b`: set -e is disabled inside &&-chained functions.
  up) ensure_pkgs postgresql redis-server; pg_up; redis_up; print_env ;;
  down) redis_down; pg_down ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
