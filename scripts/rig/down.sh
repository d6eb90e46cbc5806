#!/usr/bin/env bash
# Stop what scripts/rig/up.sh started, by PID file.
#
#   bash scripts/rig/down.sh            # vsftpd, proftpd, sshd, slurm, postfix (NOT PostgreSQL)
#   bash scripts/rig/down.sh sshd       # one service: postgres|vsftpd|proftpd|sshd|slurm|postfix
#
# PostgreSQL is the machine's own cluster: it is stopped only when named
# explicitly (tests simulating an outage); bring it back with `up.sh postgres`.
# vsftpd/proftpd/sshd are stopped together with every session they forked, so
# in-flight transfers break as in a real outage. State and keys are kept:
# the next up.sh reuses them (remove $NOCTURNE_RIG_DIR for a clean slate).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for _f in postgres vsftpd proftpd sshd slurm postfix promtool; do
  # shellcheck disable=SC1090
  source "$RIG_SCRIPTS/$_f.sh"
done

usage() { echo "usage: $0 [postgres|vsftpd|proftpd|sshd|slurm|postfix]..." >&2; exit 2; }

main() {
  local -a services=("$@")
  ((${#services[@]})) || services=(slurm sshd proftpd vsftpd postfix)
  local s
  for s in "${services[@]}"; do
    case "$s" in postgres|vsftpd|proftpd|sshd|slurm|postfix|promtool) ;; -h|--help) usage ;; *) echo "unknown service: $s" >&2; usage ;; esac
  done
  [[ $EUID -eq 0 ]] || die "must run as root"
  # Without a rig dir there are no PID files (nothing of ours runs), but
  # `down.sh postgres` must still work.
  if [[ -d "$RIG" ]]; then
    exec 9>"$RIG/.lock"
    flock -w 600 9 || die "could not get the rig lock $RIG/.lock within 600 s"
  fi
  for s in "${services[@]}"; do "${s}_down"; done
  say "down: ${services[*]} ($(elapsed_since "$RIG_T0")s)"
}

main "$@"
