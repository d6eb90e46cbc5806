# shellcheck shell=bash
# Shared helpers for the nocturne test rig (sourced by up.sh, down.sh and the
# per-service scripts). Everything here is about real daemons on 127.0.0.1
# whose state lives under $RIG; nothing touches system services except the
# PostgreSQL cluster (which the rig only starts/stops through pg_ctlcluster).

RIG="${NOCTURNE_RIG_DIR:-/tmp/nocturne-rig}"
RIG_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export RIG RIG_SCRIPTS

# Names of the test accounts and ports. Overridable so that a second rig could
# coexist, but the defaults are what the tests and the env file expect.
RIG_USER="${NOCTURNE_RIG_USER:-nocturne-ftp}"
RIG_HOME="$RIG/home/$RIG_USER"
RIG_HOST=127.0.0.1

# Always non-interactive: this runs in CI with no stdin.
export DEBIAN_FRONTEND=noninteractive
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

# ---------------------------------------------------------------- logging ---

# Milliseconds since the epoch without forking (bash 5 $EPOCHREALTIME).
_t0_ms() { local t="${EPOCHREALTIME/[.,]/}"; echo "${t:0:-3}"; }
RIG_T0="${RIG_T0:-$(_t0_ms)}"


# Seconds (3 decimals) since $1 (milliseconds since epoch).
elapsed_since() { local now; now=$(_t0_ms); printf '%d.%03d' $(((now - $1) / 1000)) $(((now - $1) % 1000)); }

say() { printf '[rig] %s\n' "$*"; }
# Fail loudly: name the service and the log to read. Exit status 1.
die() { printf '[rig] ERROR: %s\n' "$*" >&2; exit 1; }
die_svc() { # service logfile message...
  local svc="$1" log="$2"; shift 2
  printf '[rig] ERROR: %s: %s\n' "$svc" "$*" >&2
  if [[ -n "$log" && -f "$log" ]]; then
    printf '[rig] ---- last lines of %s ----\n' "$log" >&2
    tail -n 25 "$log" >&2 || true
    printf '[rig] ---- read the whole log: %s ----\n' "$log" >&2
  elif [[ -n "$log" ]]; then
    printf '[rig] (log file %s does not exist)\n' "$log" >&2
  fi
  exit 1
}

# -------------------------------------------------------------- processes ---

# A PID is "alive" only if it exists and is not a zombie: PID 1 on this machine
# kind reaps lazily, so a killed daemon lingers as Z with its comm intact.
# Optional $2: expected comm, exact (guards against PID reuse; note that
# "slurmd" must not match "slurmdbd").
pid_alive() {
  local pid="$1" want="${2:-}" stat state comm
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # Builtin read, no fork: this runs many times on the warm path.
  { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  comm="${stat#*(}"; comm="${comm%)*}"
  state="${stat##*) }"; state="${state%% *}"
  [[ "$state" != Z && "$state" != X ]] || return 1
  [[ -z "$want" || "$comm" == "$want" ]] || return 1
}

# PID from a PID file if that process is alive (and has the expected comm);
# prints nothing and fails otherwise.
pidfile_alive() {
  local file="$1" want="${2:-}" pid
  { read -r pid <"$file"; } 2>/dev/null || return 1
  pid_alive "$pid" "$want" || return 1
  printf '%s\n' "$pid"
}

# All descendants of a PID (children first-level, then theirs, ...), read
# from /proc so that no broad pattern matching is needed.
descendants() {
  local root="$1" p c stat rest
  local -a queue=("$root") out=() f
  declare -A kids=()
  # Builtins only: forking per /proc entry costs seconds in this sandbox.
  for p in /proc/[0-9]*; do
    { read -r stat <"$p/stat"; } 2>/dev/null || continue
    rest="${stat##*) }"
    read -r -a f <<<"$rest"
    kids[${f[1]}]+=" ${p#/proc/}"
  done
  while ((${#queue[@]})); do
    p="${queue[0]}"; queue=("${queue[@]:1}")
    for c in ${kids[$p]:-}; do out+=("$c"); queue+=("$c"); done
  done
  ((${#out[@]})) && printf '%s\n' "${out[@]}"
  return 0
}

# Wait until none of the PIDs is alive (zombies count as dead).
wait_dead() { # timeout_s pid...
  local deadline=$(( $(date +%s) + $1 )) p any; shift
  while :; do
    any=0
    for p in "$@"; do pid_alive "$p" && any=1; done
    ((any)) || return 0
    (( $(date +%s) >= deadline )) && return 1
    sleep 0.05
  done
}

# Stop a daemon and everything it forked (its live sessions), so that a test
# which stops a server mid-transfer really sees the connection break.
# Collect the tree BEFORE killing: afterwards the children are reparented.
kill_tree() { # pid [comm]
  local pid="$1" comm="${2:-}"
  pid_alive "$pid" "$comm" || return 0
  local -a tree=("$pid")
  mapfile -t -O 1 tree < <(descendants "$pid")
  kill -TERM "${tree[@]}" 2>/dev/null || true
  if ! wait_dead 10 "${tree[@]}"; then
    kill -KILL "${tree[@]}" 2>/dev/null || true
    wait_dead 5 "${tree[@]}" || return 1
  fi
}

# Stop by PID file (+ tree) and remove the PID file. Quiet if not running.
stop_pidfile() { # name pidfile comm [with_tree=1]
  local name="$1" file="$2" comm="$3" with_tree="${4:-1}" pid
  if pid=$(pidfile_alive "$file" "$comm"); then
    if ((with_tree)); then
      kill_tree "$pid" "$comm" || die "$name: pid $pid would not die"
    else
      kill -TERM "$pid" 2>/dev/null || true
      wait_dead 20 "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_dead 5 "$pid" || die "$name: pid $pid would not die"; }
    fi
    say "$name: stopped (pid $pid)"
  fi
  rm -f "$file"
}

# True when <svc> runs and listens (its env fragment is written again). Otherwise
# an instance that runs but does not listen is stopped and the PID file removed,
# so that the caller starts the service afresh.
service_running() { # svc pidfile comm port
  local pid
  if pid=$(pidfile_alive "$2" "$3") && port_listening "$4"; then
    "$1_env"; say "$1: already running (pid $pid)"; return 0
  fi
  [[ -n "${pid:-}" ]] && stop_pidfile "$1" "$2" "$3"
  rm -f "$2"
  return 1
}

# Wait until $2 returns success, at most $1 seconds; if $3 is a PID file/PID
# whose process died meanwhile, stop early. Returns 1 on timeout/death.
wait_until() { # timeout_s check_cmd [watch_pid]
  local deadline=$(( $(_t0_ms) + $1 * 1000 )) cmd="$2" watch="${3:-}"
  while :; do
    if eval "$cmd"; then return 0; fi
    if [[ -n "$watch" ]] && ! pid_alive "$watch"; then return 1; fi
    (( $(_t0_ms) >= deadline )) && return 1
    sleep 0.05
  done
}

# TCP port accepts connections on 127.0.0.1 (bash /dev/tcp, no extra tools).
port_open() { # port [host]
  timeout 1 bash -c "exec 3<>/dev/tcp/${2:-$RIG_HOST}/$1" 2>/dev/null
}

# Cheaper check for the warm path: a LISTEN socket on 127.0.0.1:port (or the
# wildcard) in /proc/net/tcp; no fork, no connection (which sshd would log).
# Falls back to connecting if /proc/net/tcp is unavailable.
port_listening() { # port
  local hex laddr st _
  printf -v hex '%04X' "$1"
  [[ -r /proc/net/tcp ]] || { port_open "$1"; return; }
  while read -r _ laddr _ st _; do
    [[ "$st" == 0A && ( "$laddr" == "0100007F:$hex" || "$laddr" == "00000000:$hex" ) ]] && return 0
  done </proc/net/tcp
  return 1
}

# Fail early with a clear message if a port we need is taken by someone else.
# A typical cause: the rig dir was deleted while its daemons still ran, so
# their PID files are gone; the message shows who holds the port.
require_port_free() { # service port log
  if port_open "$2"; then
    local who
    who=$(ss -ltnpH "sport = :$2" 2>/dev/null | grep -o 'users:.*' | head -n1) || true
    die_svc "$1" "$3" "port 127.0.0.1:$2 is already in use by a process we did not start (${who:-see ss -ltnp}); if it is a rig daemon left over from a deleted $RIG, kill that pid"
  fi
}

# Start a foreground daemon detached from us: new session, stdio to the log,
# and the rig lock fd (9) closed so the daemon does not hold the lock forever.
# In a non-interactive bash the background child is not a group leader, so
# setsid(1) calls setsid() itself without forking: $! is the daemon's PID.
# shellcheck disable=SC2034  # SPAWNED_PID is read by the callers
spawn_detached() { # log cmd...
  local log="$1"; shift
  setsid "$@" </dev/null >>"$log" 2>&1 9>&- &
  SPAWNED_PID=$!
}

# --------------------------------------------------------------- packages ---

# Debian packages the rig, the benchmarks (lftp, curl, vipsthumbnail), the
# monitor's browser tests (chromium, driven by playwright-core), the unit-file
# test (systemd-analyze) and the alert tests (postfix) need.
# shellcheck disable=SC2034  # used by up.sh
RIG_PACKAGES=(
  vsftpd openssh-server openssh-client
  slurm-wlm munge slurmdbd
  lftp libvips-tools openssl curl
  systemd
  chromium
  postfix
  # proftpd's libraries: proftpd-core itself conflicts with vsftpd, so
  # scripts/rig/proftpd.sh unpacks it beside vsftpd instead of installing it.
  libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23
)

missing_packages() {
  # One dpkg-query for all (it prints nothing for unknown packages).
  local -A ok=()
  local name st
  while read -r name st; do
    [[ "$st" == ii* ]] && ok[$name]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
  for name in "$@"; do [[ -n "${ok[$name]:-}" ]] || printf '%s\n' "$name"; done
}

# Install what is missing. apt-get update only when something must be
# installed. A policy-rc.d that forbids starting services is put in place for
# the duration if the image does not already have one: without systemd the
# maintainer scripts would otherwise try to start system vsftpd/sshd/munge/...
ensure_packages() {
  local -a missing
  mapfile -t missing < <(missing_packages "$@")
  ((${#missing[@]})) || return 0
  [[ $EUID -eq 0 ]] || die "packages missing (${missing[*]}) and not root: run as root"
  local t; t=$(_t0_ms)
  say "apt: installing ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# temporary, written by nocturne scripts/rig\nexit 101\n' >"$policy"
    chmod 755 "$policy"; created_policy=1
    # Do not leave it behind if we are interrupted.
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local aptlog="$RIG/log/apt.log" rc=0
  mkdir -p "$RIG/log"
  local -a apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
                     -o DPkg::Lock::Timeout=120 -o APT::Install-Recommends=false)
  {
    RUNLEVEL=1 apt-get "${apt_opts[@]}" update &&
    RUNLEVEL=1 apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}"
  } </dev/null >>"$aptlog" 2>&1 || rc=$?
  if ((created_policy)); then rm -f "$policy"; trap - EXIT; fi
  ((rc == 0)) || die_svc apt "$aptlog" "apt-get install failed (rc=$rc) for: ${missing[*]}"
  say "apt: done in $(elapsed_since "$t")s"
}

# ---------------------------------------------------------------- env file --

# Each service writes its KEY=value pairs into $RIG/env.d/<service>; up.sh
# concatenates them into $RIG/env. Values must not contain single quotes.
write_env_fragment() { # service KEY=value...
  local svc="$1"; shift
  mkdir -p "$RIG/env.d"
  local tmp="$RIG/env.d/.$svc.tmp" kv
  : >"$tmp"
  for kv in "$@"; do
    [[ "$kv" != *"'"* ]] || die "env value with a quote: $kv"
    printf "export %s='%s'\n" "${kv%%=*}" "${kv#*=}" >>"$tmp"
  done
  mv -f "$tmp" "$RIG/env.d/$svc"
}

assemble_env() {
  local tmp="$RIG/.env.tmp" f
  {
    printf '# generated by scripts/rig/up.sh -- source this file\n'
    printf "export NOCTURNE_RIG_DIR='%s'\n" "$RIG"
    printf "export NOCTURNE_RIG_UP='%s'\n" "$RIG_SCRIPTS/up.sh"
    printf "export NOCTURNE_RIG_DOWN='%s'\n" "$RIG_SCRIPTS/down.sh"
    for f in postgres vsftpd proftpd sshd slurm postfix promtool; do
      [[ -f "$RIG/env.d/$f" ]] && cat "$RIG/env.d/$f"
    done
  } >"$tmp"
  # Only replace when changed, so the warm path does not touch the file.
  if ! cmp -s "$tmp" "$RIG/env" 2>/dev/null; then mv -f "$tmp" "$RIG/env"; else rm -f "$tmp"; fi
}

# A self-signed certificate valid for 127.0.0.1 and localhost (Node checks
# the IP SAN when connecting to an IP). It is its own CA: tests pin it as `ca`.
ensure_self_signed_cert() { # service cert key
  [[ -s "$2" && -s "$3" ]] && return 0
  local log; log="$(dirname "$2")/openssl.log"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -keyout "$3" -out "$2" -subj "/CN=127.0.0.1/O=nocturne test rig" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -addext "basicConstraints=critical,CA:TRUE" >"$log" 2>&1 \
    || die_svc "$1" "$log" "openssl could not create the certificate"
  chmod 600 "$3"; chmod 644 "$2"
}

# ------------------------------------------------------------- test user ---

# One local account shared by vsftpd and sshd, so both servers share a home
# (the "remote root" of the tests). Shell /bin/bash: vsftpd's PAM stack
# (pam_shells) rejects users whose shell is not in /etc/shells.
ensure_user() {
  if ! id -u "$RIG_USER" >/dev/null 2>&1; then
    local -a group=(--user-group)
    # A leftover group of the same name (user deleted by hand) would make
    # --user-group fail: reuse it.
    getent group "$RIG_USER" >/dev/null 2>&1 && group=(--gid "$RIG_USER")
    useradd --no-create-home --home-dir "$RIG_HOME" --shell /bin/bash \
      "${group[@]}" --comment "nocturne test rig" "$RIG_USER" \
      || die "useradd $RIG_USER failed"
  elif [[ "$(getent passwd "$RIG_USER" | cut -d: -f6)" != "$RIG_HOME" ]]; then
    # A different NOCTURNE_RIG_DIR than last time: move the home pointer.
    usermod --home "$RIG_HOME" "$RIG_USER" || die "usermod $RIG_USER failed"
  fi
  mkdir -p "$RIG_HOME"
  chown "$RIG_USER:" "$RIG_HOME"
  chmod 755 "$RIG_HOME"
  # The rig dir itself must be traversable by the test user.
  chmod 755 "$RIG" "$RIG/home"
}

# The shared account's password (FTP logs in with it; sshd only needs the
# account not to be locked). Set when a daemon is (re)started, not on the warm
# path: the account may predate this rig dir.
RIG_PASSFILE="$RIG/user-password"
ensure_user_password() {
  ensure_secret "$RIG_PASSFILE" >/dev/null
  printf '%s:%s\n' "$RIG_USER" "$(cat "$RIG_PASSFILE")" | chpasswd \
    || die "chpasswd for $RIG_USER failed"
}

# A random alphanumeric secret, created once per rig dir.
ensure_secret() { # file
  if [[ ! -s "$1" ]]; then
    # Hex: safe in URLs, env files and config files without quoting.
    (umask 077; openssl rand -hex 12 >"$1") || die "openssl rand failed writing $1"
  fi
  cat "$1"
}
