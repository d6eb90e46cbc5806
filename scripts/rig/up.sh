#!/usr/bin/env bash
# Bring up the nocturne test rig: PostgreSQL (system cluster + test DB),
# vsftpd (FTP + explicit FTPS), proftpd (FTP/FTPS with HASH), sshd (SFTP), a single-node SLURM with
# accounting (slurmdbd), a private postfix (alert e-mails into Maildirs) and
# promtool (monitoring/ rules), all on 127.0.0.1, state under
# ${NOCTURNE_RIG_DIR:-/tmp/nocturne-rig}. Must run as root (Debian 12).
#
#   bash scripts/rig/up.sh            # everything: idempotent, <1 s when up
#   bash scripts/rig/up.sh vsftpd     # one service: postgres|vsftpd|proftpd|sshd|slurm|postfix|promtool
#   bash scripts/rig/down.sh [svc]    # the reverse (see down.sh)
#
# Missing Debian packages are installed first (apt-get update only then).
# A daemon whose PID file is stale (dead or zombie) is started again.
# Serialized by a lock, so concurrent calls are safe.
#
# Writes $NOCTURNE_RIG_DIR/env (`export KEY='value'` lines; test/helpers/rig.ts
# parses it), among others:
#   NOCTURNE_TEST_PG_URL, NOCTURNE_TEST_PG_CLUSTER
#   NOCTURNE_TEST_FTP_{HOST,PORT,USER,PASSWORD,ROOT,PASV_PORTS,UID,GID}, NOCTURNE_TEST_FTPS_CA
#   NOCTURNE_TEST_PROFTPD_{HOST,PORT,USER,PASSWORD,ROOT,CA,PASV_PORTS}
#   NOCTURNE_TEST_SFTP_{HOST,PORT,USER,KEY,HOSTKEY_SHA256,ROOT,UID,GID}
#   SLURM_CONF, NOCTURNE_TEST_SLURM_{PARTITION,NODE,CPUS,OUTDIR}
#   NOCTURNE_TEST_SMTP_{HOST,PORT,AUTH_PORT,USER,PASSWORD,CA,DOMAIN}, NOCTURNE_TEST_MAILDIR
#   NOCTURNE_TEST_PROMTOOL
#   NOCTURNE_RIG_DIR, NOCTURNE_RIG_UP, NOCTURNE_RIG_DOWN, and the PID files
#   and logs: NOCTURNE_RIG_{VSFTPD,PROFTPD,SSHD,MUNGED,SLURMDBD,SLURMCTLD,SLURMD}_PIDFILE, ..._LOG
# On failure: non-zero exit, and the message names the service and its log.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for _f in postgres vsftpd proftpd sshd slurm postfix promtool; do
  # shellcheck disable=SC1090
  source "$RIG_SCRIPTS/$_f.sh"
done

ALL_SERVICES=(postgres vsftpd proftpd sshd slurm postfix promtool)

usage() { echo "usage: $0 [postgres|vsftpd|proftpd|sshd|slurm|postfix|promtool]..." >&2; exit 2; }

main() {
  local -a services=("$@")
  ((${#services[@]})) || services=("${ALL_SERVICES[@]}")
  local s
  for s in "${services[@]}"; do
    case "$s" in postgres|vsftpd|proftpd|sshd|slurm|postfix|promtool) ;; -h|--help) usage ;; *) echo "unknown service: $s" >&2; usage ;; esac
  done
  [[ $EUID -eq 0 ]] || die "must run as root (it installs packages, creates a user and starts daemons)"

  mkdir -p "$RIG/log"
  chmod 755 "$RIG"
  # One rig operation at a time (npm test, a test's startService, a human).
  # fd 9 is closed for every daemon we spawn so they do not inherit the lock.
  exec 9>"$RIG/.lock"
  flock -w 600 9 || die "could not get the rig lock $RIG/.lock within 600 s"

  ensure_packages "${RIG_PACKAGES[@]}"

  for s in "${services[@]}"; do "${s}_up"; done
  assemble_env
  say "ready in $(elapsed_since "$RIG_T0")s -- env: $RIG/env"
}

main "$@"
