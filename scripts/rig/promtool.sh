# shellcheck shell=bash
# promtool, to check and unit-test monitoring/*.yml: only the binary, taken out
# of Debian's prometheus package (19 MB) without installing it (332 MB with
# its dependencies, and a server we do not want). It needs only libc.
# Nothing runs: up is an extraction done once, down does nothing.

PROM_DIR="$RIG/promtool"
PROMTOOL="$PROM_DIR/usr/bin/promtool"

promtool_env() {
  write_env_fragment promtool "NOCTURNE_TEST_PROMTOOL=$PROMTOOL"
}

promtool_up() {
  local t; t=$(_t0_ms)
  if [[ -x "$PROMTOOL" ]]; then
    promtool_env; say "promtool: already there ($PROMTOOL)"; return 0
  fi
  mkdir -p "$PROM_DIR"
  local log="$PROM_DIR/extract.log"
  rm -f "$PROM_DIR"/prometheus_*.deb
  # apt-get download needs fresh lists on a new machine.
  if ! (cd "$PROM_DIR" && apt-get download prometheus) >>"$log" 2>&1; then
    apt-get -q update >>"$log" 2>&1 || die_svc promtool "$log" "apt-get update failed"
    (cd "$PROM_DIR" && apt-get download prometheus) >>"$log" 2>&1 || die_svc promtool "$log" "apt-get download prometheus failed"
  fi
  dpkg-deb --fsys-tarfile "$PROM_DIR"/prometheus_*.deb | tar -x -C "$PROM_DIR" ./usr/bin/promtool 2>>"$log" \
    || die_svc promtool "$log" "could not extract usr/bin/promtool from the prometheus package"
  rm -f "$PROM_DIR"/prometheus_*.deb
  "$PROMTOOL" --version >>"$log" 2>&1 || die_svc promtool "$log" "$PROMTOOL does not run"
  promtool_env
  say "promtool: extracted to $PROMTOOL ($(elapsed_since "$t")s)"
}

promtool_down() { :; }
