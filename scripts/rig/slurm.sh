# shellcheck shell=bash
# SLURM: a real single-node cluster (munged + slurmdbd + slurmctld + slurmd)
# on 127.0.0.1, following /work/shared/reference/slurm-single-node.md.
# Accounting goes through slurmdbd into MariaDB so that `sacct` is real:
#   - by default the machine's MariaDB on 127.0.0.1:3306 (root, no password),
#     with a database and user of our own;
#   - if that is not reachable (or NOCTURNE_RIG_SLURM_DB=private), a private
#     mariadbd under $RIG/slurm/mysql on 127.0.0.1:3307, started --no-defaults.
# All state, sockets, PID files and logs live under $RIG/slurm.

S="$RIG/slurm"
SLURM_CONF_FILE="$S/etc/slurm.conf"
SLURM_DBD_CONF="$S/etc/slurmdbd.conf"
SLURM_CLUSTER=nocturne
SLURM_PARTITION=debug
SLURM_NODE="$(hostname -s)"
SLURM_CPUS="${NOCTURNE_RIG_SLURM_CPUS:-8}"
SLURM_CTLD_PORT="${NOCTURNE_RIG_SLURMCTLD_PORT:-6817}"
SLURMD_PORT="${NOCTURNE_RIG_SLURMD_PORT:-6818}"
SLURM_DBD_PORT="${NOCTURNE_RIG_SLURMDBD_PORT:-6819}"
SLURM_DB_MODE="${NOCTURNE_RIG_SLURM_DB:-auto}"   # auto | system | private
SLURM_SYSDB_PORT="${NOCTURNE_RIG_MARIADB_PORT:-3306}"
SLURM_PRIVDB_PORT="${NOCTURNE_RIG_PRIVATE_MARIADB_PORT:-3307}"
SLURM_DB_NAME=nocturne_slurm_acct
SLURM_DB_USER=nocturne_slurm
SLURM_UP_TIMEOUT="${NOCTURNE_RIG_SLURM_TIMEOUT:-60}"
# How memory limits are enforced: "accounting" (the default: jobacct_gather kills a job
# over its --mem, which ends FAILED 0:9) or "cgroup" (cgroup v1 memory controller:
# the job ends OUT_OF_MEMORY). The run stage's tests switch to cgroup and back.
SLURM_MEMORY="${NOCTURNE_RIG_SLURM_MEMORY:-accounting}"
SLURM_CGROUP_CONF="$S/etc/cgroup.conf"

MUNGE_SOCKET="$S/run/munge.socket"
MUNGE_PID="$S/run/munged.pid"
MUNGE_LOG="$S/log/munged.log"
MYSQLD_PID="$S/run/mysqld.pid"
MYSQLD_SOCK="$S/run/mysqld.sock"
MYSQLD_LOG="$S/log/mysqld.log"
DBD_PID="$S/run/slurmdbd.pid"
DBD_LOG="$S/log/slurmdbd.log"
CTLD_PID="$S/run/slurmctld.pid"
CTLD_LOG="$S/log/slurmctld.log"
SLURMD_PID="$S/run/slurmd.pid"
SLURMD_LOG="$S/log/slurmd.log"

# Every slurm client and daemon below reads this (pitfall 1: without it the
# clients try a configless DNS SRV lookup and die).
export SLURM_CONF="$SLURM_CONF_FILE"

slurm_dirs() {
  mkdir -p "$S"/{etc,run,log,state,spool,out,munge}
  chmod 700 "$S/etc" "$S/munge"
  # Job output of the tests goes here; any user may write.
  chmod 1777 "$S/out"
}

# ------------------------------------------------------------------ munge ---

munge_ok() { munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1; }

munge_up() {
  if pidfile_alive "$MUNGE_PID" munged >/dev/null && munge_ok; then return 0; fi
  stop_pidfile munged "$MUNGE_PID" munged 0
  if [[ ! -s "$S/etc/munge.key" ]]; then
    (umask 077; head -c 1024 /dev/urandom >"$S/etc/munge.key")
  fi
  chmod 400 "$S/etc/munge.key"
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
  # --force: our paths sit below /tmp (world-writable), which munged would
  # otherwise reject as insecure. It daemonizes and writes its PID file.
  munged --force --socket="$MUNGE_SOCKET" --key-file="$S/etc/munge.key" \
    --pid-file="$MUNGE_PID" --log-file="$MUNGE_LOG" --seed-file="$S/munge/munged.seed" \
    </dev/null >>"$MUNGE_LOG" 2>&1 9>&- || die_svc munged "$MUNGE_LOG" "munged failed to start"
  wait_until 10 munge_ok || die_svc munged "$MUNGE_LOG" "munge socket $MUNGE_SOCKET does not answer"
  say "slurm: munged up (pid $(cat "$MUNGE_PID"))"
}

# ---------------------------------------------------------------- MariaDB ---

# The mode chosen when slurmdbd was configured; kept so that down.sh knows
# whether a private mariadbd is ours to stop.
slurm_db_mode() {
  if [[ -f "$S/run/db-mode" ]]; then cat "$S/run/db-mode"; return; fi
  case "$SLURM_DB_MODE" in
    system|private) echo "$SLURM_DB_MODE" ;;
    auto) if sysdb_sql 'select 1' >/dev/null 2>&1; then echo system; else echo private; fi ;;
    *) die "NOCTURNE_RIG_SLURM_DB must be auto, system or private (got $SLURM_DB_MODE)" ;;
  esac
}

sysdb_sql() { mysql --no-defaults --protocol=tcp -h 127.0.0.1 -P "$SLURM_SYSDB_PORT" -u root --connect-timeout=3 -N -B -e "$1"; }
privdb_sql() { mysql --no-defaults -S "$MYSQLD_SOCK" -u root --connect-timeout=3 -N -B -e "$1"; }
db_sql() { if [[ "$(slurm_db_mode)" == system ]]; then sysdb_sql "$1"; else privdb_sql "$1"; fi; }
db_port() { if [[ "$(slurm_db_mode)" == system ]]; then echo "$SLURM_SYSDB_PORT"; else echo "$SLURM_PRIVDB_PORT"; fi; }

private_mariadb_up() {
  if pidfile_alive "$MYSQLD_PID" mariadbd >/dev/null && privdb_sql 'select 1' >/dev/null 2>&1; then return 0; fi
  stop_pidfile mariadbd "$MYSQLD_PID" mariadbd 0
  require_port_free mariadbd "$SLURM_PRIVDB_PORT" "$MYSQLD_LOG"
  # --no-defaults must be the FIRST option (recipe item 13): the system
  # my.cnf sets user=mysql and a fixed datadir.
  if [[ ! -d "$S/mysql/data/mysql" ]]; then
    rm -rf "$S/mysql/data"; mkdir -p "$S/mysql/data"
    mariadb-install-db --no-defaults --user=root --datadir="$S/mysql/data" \
      --auth-root-authentication-method=socket --skip-test-db >>"$MYSQLD_LOG" 2>&1 \
      || die_svc mariadbd "$MYSQLD_LOG" "mariadb-install-db failed"
  fi
  spawn_detached "$MYSQLD_LOG" /usr/sbin/mariadbd --no-defaults --user=root \
    --datadir="$S/mysql/data" --socket="$MYSQLD_SOCK" --pid-file="$MYSQLD_PID" \
    --port="$SLURM_PRIVDB_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
    --innodb_lock_wait_timeout=900 --innodb_buffer_pool_size=128M
  wait_until 30 "privdb_sql 'select 1' >/dev/null 2>&1" "$SPAWNED_PID" \
    || die_svc mariadbd "$MYSQLD_LOG" "private mariadbd did not answer on $MYSQLD_SOCK"
  say "slurm: private mariadbd up (pid $SPAWNED_PID, port $SLURM_PRIVDB_PORT)"
}

# Database + user for slurmdbd. When slurmctld's state is new (fresh rig
# dir), job ids restart at 1, so old accounting rows would collide with new
# jobs of the same id: start from an empty database then.
slurm_db_prepare() {
  local mode pass fresh=0
  mode=$(slurm_db_mode)
  [[ "$mode" == private ]] && private_mariadb_up
  if [[ "$mode" == system ]] && ! sysdb_sql 'select 1' >/dev/null 2>&1; then
    die_svc slurmdbd "" "MariaDB on 127.0.0.1:$SLURM_SYSDB_PORT does not answer (root, no password); start it, or set NOCTURNE_RIG_SLURM_DB=private"
  fi
  echo "$mode" >"$S/run/db-mode"
  pass=$(ensure_secret "$S/etc/dbpass")
  [[ -f "$S/state/.acct-db-in-use" ]] || fresh=1
  local sql=""
  ((fresh)) && sql+="DROP DATABASE IF EXISTS $SLURM_DB_NAME;"
  sql+="CREATE DATABASE IF NOT EXISTS $SLURM_DB_NAME;"
  local h
  for h in localhost 127.0.0.1; do
    sql+="CREATE USER IF NOT EXISTS '$SLURM_DB_USER'@'$h' IDENTIFIED BY '$pass';"
    sql+="ALTER USER '$SLURM_DB_USER'@'$h' IDENTIFIED BY '$pass';"
    sql+="GRANT ALL PRIVILEGES ON $SLURM_DB_NAME.* TO '$SLURM_DB_USER'@'$h';"
  done
  db_sql "$sql" >>"$DBD_LOG" 2>&1 || die_svc slurmdbd "$DBD_LOG" "could not prepare database $SLURM_DB_NAME ($mode MariaDB)"
  touch "$S/state/.acct-db-in-use"
  ((fresh)) && say "slurm: accounting database $SLURM_DB_NAME (re)created in $mode MariaDB"
  return 0
}

# ----------------------------------------------------------------- config ---

# The process-tracking and memory-enforcement lines of slurm.conf, and cgroup.conf.
slurm_memory_conf() {
  case "$SLURM_MEMORY" in
    accounting)
      printf '%s\n' ProctrackType=proctrack/linuxproc TaskPlugin=task/none \
        JobAcctGatherType=jobacct_gather/linux JobAcctGatherParams=OverMemoryKill ;;
    cgroup)
      printf '%s\n' ProctrackType=proctrack/cgroup TaskPlugin=task/cgroup JobAcctGatherType=jobacct_gather/cgroup ;;
    *) die "NOCTURNE_RIG_SLURM_MEMORY must be accounting or cgroup (got $SLURM_MEMORY)" ;;
  esac
}

slurm_cgroup_conf() {
  [[ "$SLURM_MEMORY" == cgroup ]] || return 0
  printf '%s\n' '# generated by scripts/rig/slurm.sh -- edits are overwritten' CgroupPlugin=cgroup/v1 \
    CgroupMountpoint=/sys/fs/cgroup ConstrainCores=no ConstrainRAMSpace=yes ConstrainSwapSpace=yes \
    AllowedRAMSpace=100 AllowedSwapSpace=0
}

slurm_write_config() {
  local mem pass tmp="$S/etc/.slurm.conf.tmp"
  # Advertise 90% of RAM; config_overrides makes slurmd accept CPUs/RAM that
  # differ from the hardware (8 "CPUs" on 2 cores -> 8 array tasks at once).
  mem=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  cat >"$tmp" <<CONF
# generated by scripts/rig/slurm.sh -- edits are overwritten
ClusterName=$SLURM_CLUSTER
SlurmctldHost=$SLURM_NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
SlurmctldPort=$SLURM_CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=$SLURMD_LOG
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without this every job gets the whole node's memory: one job at a time.
DefMemPerCPU=256
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
SlurmdParameters=config_overrides
# Bind slurmctld and slurmd (and clients) to the node's address (127.0.0.1)
# instead of INADDR_ANY.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
KillWait=2
# Finished jobs stay visible to squeue/scontrol for an hour.
MinJobAge=3600
JobAcctGatherFrequency=1
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$SLURM_DBD_PORT
# Not a password: the munge socket for the slurmctld/sacct -> slurmdbd
# connection (AuthInfo is not used for it; pitfall 4).
AccountingStoragePass=$MUNGE_SOCKET
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.txt
$(slurm_memory_conf)
${NOCTURNE_RIG_SLURM_EXTRA_CONF:-}

NodeName=$SLURM_NODE NodeAddr=127.0.0.1 NodeHostname=$SLURM_NODE CPUs=$SLURM_CPUS RealMemory=$mem State=UNKNOWN
PartitionName=$SLURM_PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  pass=$(ensure_secret "$S/etc/dbpass")
  cat >"$S/etc/.slurmdbd.conf.tmp" <<CONF
# generated by scripts/rig/slurm.sh -- edits are overwritten
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$SLURM_DBD_PORT
# Not in slurmdbd.conf(5) for 22.05, but honoured: listen on DbdAddr only.
CommunicationParameters=NoInAddrAny
SlurmUser=root
LogFile=$DBD_LOG
PidFile=$DBD_PID
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$(db_port)
StorageUser=$SLURM_DB_USER
StoragePass=$pass
StorageLoc=$SLURM_DB_NAME
CONF
  chmod 600 "$S/etc/.slurmdbd.conf.tmp"
  slurm_cgroup_conf >"$S/etc/.cgroup.conf.tmp"
  # Report whether anything changed, so a running cluster can be restarted.
  local changed=1
  if cmp -s "$tmp" "$SLURM_CONF_FILE" && cmp -s "$S/etc/.slurmdbd.conf.tmp" "$SLURM_DBD_CONF" \
     && cmp -s "$S/etc/.cgroup.conf.tmp" <(cat "$SLURM_CGROUP_CONF" 2>/dev/null); then changed=0; fi
  if ((changed)); then
    mv -f "$tmp" "$SLURM_CONF_FILE"
    mv -f "$S/etc/.slurmdbd.conf.tmp" "$SLURM_DBD_CONF"
    if [[ -s "$S/etc/.cgroup.conf.tmp" ]]; then mv -f "$S/etc/.cgroup.conf.tmp" "$SLURM_CGROUP_CONF"; else rm -f "$S/etc/.cgroup.conf.tmp" "$SLURM_CGROUP_CONF"; fi
    chmod 644 "$SLURM_CONF_FILE"
    return 0
  fi
  rm -f "$tmp" "$S/etc/.slurmdbd.conf.tmp" "$S/etc/.cgroup.conf.tmp"
  return 1
}

# ------------------------------------------------------------ the daemons ---

slurm_daemons_alive() {
  pidfile_alive "$MUNGE_PID" munged >/dev/null &&
  pidfile_alive "$DBD_PID" slurmdbd >/dev/null &&
  pidfile_alive "$CTLD_PID" slurmctld >/dev/null &&
  pidfile_alive "$SLURMD_PID" slurmd >/dev/null &&
  { [[ "$(cat "$S/run/db-mode" 2>/dev/null)" != private ]] || pidfile_alive "$MYSQLD_PID" mariadbd >/dev/null; }
}

slurm_any_alive() {
  local f
  for f in "$MUNGE_PID:munged" "$DBD_PID:slurmdbd" "$CTLD_PID:slurmctld" "$SLURMD_PID:slurmd" "$MYSQLD_PID:mariadbd"; do
    pidfile_alive "${f%%:*}" "${f##*:}" >/dev/null && return 0
  done
  return 1
}

# Start a self-daemonizing SLURM daemon and wait for its PID file (slurmd
# writes it only after forking: pitfall 6).
slurm_start_daemon() { # name pidfile log cmd...
  local name="$1" pidf="$2" log="$3"; shift 3
  pidfile_alive "$pidf" "$name" >/dev/null && return 0
  rm -f "$pidf"
  "$@" </dev/null >>"$log" 2>&1 9>&- || die_svc "$name" "$log" "$name exited with an error at start"
  wait_until 20 "pidfile_alive '$pidf' '$name' >/dev/null" \
    || die_svc "$name" "$log" "$name did not stay up (no live PID in $pidf)"
  say "slurm: $name up (pid $(cat "$pidf"))"
}

# Empty when slurmctld does not answer (never fails: used under set -e).
slurm_node_state() { { timeout 5 sinfo -h -N -n "$SLURM_NODE" -p "$SLURM_PARTITION" -o '%t' 2>/dev/null || true; } | head -n1; }
slurm_sacct_ok() { timeout 10 sacct -n -X -P -o JobID -S now-1minutes >/dev/null 2>&1; }

# Wait until the node accepts jobs. A node left DOWN/DRAINED by an earlier
# crash is resumed once (ReturnToService=2 only helps on re-registration).
slurm_wait_idle() {
  local deadline=$(( $(date +%s) + SLURM_UP_TIMEOUT )) st resumed=0 since; since=$(date +%s)
  while :; do
    st=$(slurm_node_state) || st=""
    SLURM_LAST_STATE="$st"
    case "$st" in
      idle|mix|alloc|comp|idle~) return 0 ;;
      down*|drain*|drng*|fail*)
        if ((!resumed && $(date +%s) - since >= 2)); then
          timeout 10 scontrol update NodeName="$SLURM_NODE" State=RESUME >/dev/null 2>&1 || true
          resumed=1
        fi ;;
    esac
    (( $(date +%s) >= deadline )) && die_svc slurmd "$SLURMD_LOG" "node $SLURM_NODE is '$st', not idle, after ${SLURM_UP_TIMEOUT}s (see also $CTLD_LOG)"
    sleep 0.1
  done
}

slurm_env() {
  write_env_fragment slurm \
    "SLURM_CONF=$SLURM_CONF_FILE" \
    "NOCTURNE_TEST_SLURM_PARTITION=$SLURM_PARTITION" \
    "NOCTURNE_TEST_SLURM_NODE=$SLURM_NODE" \
    "NOCTURNE_TEST_SLURM_CPUS=$SLURM_CPUS" \
    "NOCTURNE_TEST_SLURM_OUTDIR=$S/out" \
    "NOCTURNE_RIG_SLURM_DIR=$S" \
    "NOCTURNE_RIG_MUNGE_SOCKET=$MUNGE_SOCKET" \
    "NOCTURNE_RIG_MUNGED_PIDFILE=$MUNGE_PID" \
    "NOCTURNE_RIG_SLURMDBD_PIDFILE=$DBD_PID" \
    "NOCTURNE_RIG_SLURMCTLD_PIDFILE=$CTLD_PID" \
    "NOCTURNE_RIG_SLURMD_PIDFILE=$SLURMD_PID" \
    "NOCTURNE_RIG_SLURMCTLD_LOG=$CTLD_LOG" \
    "NOCTURNE_RIG_SLURMD_LOG=$SLURMD_LOG" \
    "NOCTURNE_RIG_SLURMDBD_LOG=$DBD_LOG"
}

slurm_up() {
  local t; t=$(_t0_ms)
  slurm_dirs
  if slurm_write_config && slurm_any_alive; then
    say "slurm: configuration changed, restarting the cluster"
    slurm_down
  fi
  if slurm_daemons_alive; then
    # Cheap health check on the warm path: the node must accept jobs.
    slurm_wait_idle
    slurm_env
    say "slurm: already running (node $SLURM_NODE $SLURM_LAST_STATE)"
    return 0
  fi
  munge_up
  if ! pidfile_alive "$DBD_PID" slurmdbd >/dev/null; then
    slurm_db_prepare
    slurm_write_config || true   # StoragePort depends on the DB mode chosen just now
    require_port_free slurmdbd "$SLURM_DBD_PORT" "$DBD_LOG"
    slurm_start_daemon slurmdbd "$DBD_PID" "$DBD_LOG" slurmdbd
    # Wait for the TCP port, not with sacctmgr in a loop (client retries
    # take minutes: pitfall 4).
    wait_until "$SLURM_UP_TIMEOUT" "port_open $SLURM_DBD_PORT" "$(cat "$DBD_PID")" \
      || die_svc slurmdbd "$DBD_LOG" "slurmdbd did not listen on 127.0.0.1:$SLURM_DBD_PORT"
  fi
  # Register the cluster before slurmctld's first contact with slurmdbd.
  local clusters
  clusters=$(timeout 30 sacctmgr -n -P list cluster format=cluster 2>>"$DBD_LOG") \
    || die_svc slurmdbd "$DBD_LOG" "sacctmgr cannot talk to slurmdbd"
  if ! grep -qx "$SLURM_CLUSTER" <<<"$clusters"; then
    timeout 30 sacctmgr -i add cluster "$SLURM_CLUSTER" >>"$DBD_LOG" 2>&1 \
      || die_svc slurmdbd "$DBD_LOG" "sacctmgr add cluster $SLURM_CLUSTER failed"
  fi
  if ! pidfile_alive "$CTLD_PID" slurmctld >/dev/null; then
    require_port_free slurmctld "$SLURM_CTLD_PORT" "$CTLD_LOG"
    slurm_start_daemon slurmctld "$CTLD_PID" "$CTLD_LOG" slurmctld
  fi
  if ! pidfile_alive "$SLURMD_PID" slurmd >/dev/null; then
    slurm_kill_orphans   # job processes left by a slurmd that died
    require_port_free slurmd "$SLURMD_PORT" "$SLURMD_LOG"
    slurm_start_daemon slurmd "$SLURMD_PID" "$SLURMD_LOG" slurmd -N "$SLURM_NODE"
  fi
  slurm_wait_idle
  wait_until "$SLURM_UP_TIMEOUT" slurm_sacct_ok \
    || die_svc slurmdbd "$DBD_LOG" "sacct does not answer (see also $CTLD_LOG)"
  slurm_env
  say "slurm: up, node $SLURM_NODE idle, sacct answers ($(elapsed_since "$t")s)"
}

# ------------------------------------------------------------------- down ---

# slurmstepd and job processes survive slurmd (pitfall 7). Ours are found by
# what they hold open / run from under $S, never by a broad name.
slurm_kill_orphans() {
  local p pid link cmd
  local -a victims=() argv
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
    { mapfile -d '' -t argv <"$p/cmdline"; } 2>/dev/null || continue
    ((${#argv[@]})) || continue   # kernel threads
    cmd="${argv[*]}"
    if [[ "${argv[0]}" == *slurmstepd* ]]; then
      for link in "$p"/fd/*; do
        [[ "$(readlink "$link" 2>/dev/null)" == "$SLURMD_LOG" ]] && { victims+=("$pid"); break; }
      done
    elif [[ "$cmd" == *"$S/spool/job"* ]]; then
      victims+=("$pid")
    fi
  done
  ((${#victims[@]})) || return 0
  for pid in "${victims[@]}"; do kill_tree "$pid" || true; done
  say "slurm: killed ${#victims[@]} orphaned step/job process(es)"
}

slurm_down() {
  # Cancel jobs only if the control path works: client commands hang in
  # retries for ~50 s when munged or slurmctld is down (pitfall 8).
  if pidfile_alive "$MUNGE_PID" munged >/dev/null && pidfile_alive "$CTLD_PID" slurmctld >/dev/null \
     && pidfile_alive "$SLURMD_PID" slurmd >/dev/null; then
    local ids
    ids=$(timeout 5 squeue -h -o '%A' 2>/dev/null | tr '\n' ' ') || true
    if [[ -n "${ids// }" ]]; then
      # shellcheck disable=SC2086
      timeout 10 scancel $ids >/dev/null 2>&1 || true
      say "slurm: cancelled jobs $ids"
      sleep 0.3
    fi
  fi
  stop_pidfile slurmd "$SLURMD_PID" slurmd 0
  slurm_kill_orphans
  stop_pidfile slurmctld "$CTLD_PID" slurmctld 0
  stop_pidfile slurmdbd "$DBD_PID" slurmdbd 0
  stop_pidfile mariadbd "$MYSQLD_PID" mariadbd 0   # only ever our private one
  stop_pidfile munged "$MUNGE_PID" munged 0
  rm -f "$S/run/db-mode" "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
  # proctrack/cgroup leaves its empty cgroups behind (pitfall 10); innermost first.
  local d
  for d in /sys/fs/cgroup/*/slurm_"$SLURM_NODE"; do
    [[ -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}
