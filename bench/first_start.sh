#!/usr/bin/env bash
# Time from a fresh clone to a working dashboard, doing what `make run` does in a new
# directory (fresh venv): `make install`, `voice-agent db upgrade`, `voice-agent serve` until
# GET /login answers 200.
# Usage: bench/first_start.sh [REF] [PORT]   (REF defaults to HEAD of this repository)
# Prints the wall time and the CPU time (user + system) of the three steps; on a shared
# machine the CPU time is the steadier figure. MAKE_ARGS is passed to `make install` (e.g.
# MAKE_ARGS='PIP=...'). The pip cache is left as it is (warm after the first install on a
# machine); set PIP_NO_CACHE_DIR=1 to measure a cold download instead.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ref="${1:-HEAD}"
port="${2:-8765}"
dir="$(mktemp -d)"
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$dir"; }
trap cleanup EXIT
git clone -q "$repo" "$dir/clone"
git -C "$dir/clone" checkout -q "$ref"
cd "$dir/clone"
ticks=$(getconf CLK_TCK)
TIMEFORMAT='%U %S'
start=$(date +%s.%N)
# shellcheck disable=SC2086
{ time make install ${MAKE_ARGS:-} >"$dir/install.log" 2>&1 ; } 2>"$dir/install.time"
installed=$(date +%s.%N)
{ time .venv/bin/voice-agent db upgrade >"$dir/upgrade.log" 2>&1 ; } 2>"$dir/upgrade.time"
ADMIN_PASSWORD=first-start-bench .venv/bin/voice-agent serve --port "$port" >"$dir/run.log" 2>&1 &
pid=$!
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login")" = 200 ]; do
  kill -0 "$pid" 2>/dev/null || { cat "$dir/run.log"; echo "the server exited"; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
read -r -a stat <"/proc/$pid/stat"  # fields 14 and 15: user and system ticks
serve_cpu=$(echo "(${stat[13]} + ${stat[14]}) / $ticks" | bc -l)
cpu() { read -r user system <"$1"; echo "$user + $system" | bc -l; }
printf 'first start (%s): %.1f s to a working dashboard (install %.1f s); CPU %.1f s ' \
  "$(git rev-parse --short HEAD)" "$(echo "$end - $start" | bc)" \
  "$(echo "$installed - $start" | bc)" \
  "$(echo "$(cpu "$dir/install.time") + $(cpu "$dir/upgrade.time") + $serve_cpu" | bc -l)"
printf '(install %.1f, db upgrade %.1f, serve %.1f); load %s\n' \
  "$(cpu "$dir/install.time")" "$(cpu "$dir/upgrade.time")" "$serve_cpu" \
  "$(cut -d' ' -f1 /proc/loadavg)"
