# shellcheck shell=bash
# PostgreSQL: the machine's own cluster (Debian postgresql-common), not a
# private one. The rig only makes sure it runs and that the test database
# exists. It is stopped ONLY by an explicit `down.sh postgres` (tests that
# simulate an outage); `down.sh` without arguments leaves it running.

PG_HOST=127.0.0.1
PG_PORT="${NOCTURNE_RIG_PG_PORT:-5432}"
PG_DB="${NOCTURNE_RIG_PG_DB:-nocturne_test}"

# The cluster serving $PG_PORT, e.g. "15 main", from postgresql-common.
# Resolved once per run into PG_VER/PG_NAME (pg_lsclusters is a Perl script,
# ~70 ms), and not in a subshell, so that die_svc really stops the script.
PG_VER="" PG_NAME=""
pg_resolve_cluster() {
  [[ -n "$PG_VER" ]] && return 0
  local line
  if [[ -n "${NOCTURNE_RIG_PG_CLUSTER:-}" ]]; then
    line="$NOCTURNE_RIG_PG_CLUSTER"
  else
    line=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p {print $1, $2; exit}') || true
  fi
  read -r PG_VER PG_NAME _ <<<"$line"
  [[ -n "$PG_VER" && -n "$PG_NAME" ]] \
    || die_svc postgres "" "no PostgreSQL cluster on port $PG_PORT (pg_lsclusters); is postgresql installed?"
}

pg_has_db() {
  psql -X -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc \
    "select 1 from pg_database where datname = '$PG_DB'" </dev/null
}
pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 1 >/dev/null 2>&1; }
pg_log() { printf '/var/log/postgresql/postgresql-%s-%s.log\n' "$PG_VER" "$PG_NAME"; }

# The postmaster must not share the caller's session, or a Ctrl-C on
# `npm test` after a test restarted it would shut PostgreSQL down.
# pg_ctlcluster setsid()s pg_ctl itself; the outer setsid is belt and braces.
# (pg_ctlcluster start polls every 0.5 s: a restart takes ~2.5-3 s here.)
pg_ctl() { setsid pg_ctlcluster --skip-systemctl-redirect "$PG_VER" "$PG_NAME" "$@" </dev/null >/dev/null 2>&1 9>&-; }

postgres_env() {
  local cluster="$1"
  write_env_fragment postgres \
    "NOCTURNE_TEST_PG_URL=postgres://postgres@$PG_HOST:$PG_PORT/$PG_DB" \
    "NOCTURNE_TEST_PG_CLUSTER=$cluster"
}

postgres_up() {
  local t; t=$(_t0_ms)
  pg_resolve_cluster
  local started=0 exists
  # One query doubles as the readiness probe (no separate pg_isready fork).
  if ! exists=$(pg_has_db 2>/dev/null); then
    say "postgres: starting cluster $PG_VER $PG_NAME"
    pg_ctl start || true   # judged by the readiness probe below
    wait_until 30 pg_ready || die_svc postgres "$(pg_log)" "cluster $PG_VER $PG_NAME did not accept connections on $PG_HOST:$PG_PORT"
    started=1
    exists=$(pg_has_db 2>&1) || die_svc postgres "$(pg_log)" "query failed: $exists"
  fi
  # CREATE DATABASE cannot run in a transaction or be made conditional in SQL.
  if [[ "$exists" != 1 ]]; then
    psql -X -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -c "create database \"$PG_DB\"" >/dev/null \
      || die_svc postgres "$(pg_log)" "could not create database $PG_DB"
    say "postgres: created database $PG_DB"
  fi
  postgres_env "$PG_VER $PG_NAME"
  if ((started)); then say "postgres: up ($(elapsed_since "$t")s)"; else say "postgres: already running"; fi
}

postgres_down() {
  pg_resolve_cluster
  if pg_ready || pg_ctlcluster "$PG_VER" "$PG_NAME" status >/dev/null 2>&1; then
    # -m fast: terminate sessions, like a real outage; tests rely on that.
    pg_ctl stop -m fast || die_svc postgres "$(pg_log)" "pg_ctlcluster $PG_VER $PG_NAME stop failed"
    say "postgres: stopped cluster $PG_VER $PG_NAME"
  fi
}
