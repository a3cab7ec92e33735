#!/usr/bin/env bash
# Time from a fresh clone to a working dashboard: `make install` then `make run` in a new
# directory (fresh venv), until GET /login answers (a page the server rendered).
# Usage: bench/first_start.sh [REF] [PORT]   (REF defaults to HEAD of this repository)
# Prints wall time and the CPU time (user + system) of the install, which varies less when
# the machine is shared. The pip cache is left as it is (warm after the first install on a
# machine); set PIP_NO_CACHE_DIR=1 to measure a cold download instead.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ref="${1:-HEAD}"
port="${2:-8765}"
dir="$(mktemp -d)"
pid=""
cleanup() { if [ -n "$pid" ]; then kill -- -"$pid" 2>/dev/null || true; fi; rm -rf "$dir"; }
trap cleanup EXIT
git clone -q "$repo" "$dir/clone"
git -C "$dir/clone" checkout -q "$ref"
cd "$dir/clone"
TIMEFORMAT='%R %U %S'
start=$(date +%s.%N)
{ time make install >"$dir/install.log" 2>&1 ; } 2>"$dir/install.time"
read -r install_wall install_user install_sys <"$dir/install.time"
set -m
PORT="$port" ADMIN_PASSWORD=first-start-bench make run >"$dir/run.log" 2>&1 &
pid=$!
set +m
until code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login") \
      && [ "$code" = 200 ]; do
  kill -0 "$pid" 2>/dev/null || { cat "$dir/run.log"; echo "make run exited"; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
printf 'first start (%s): %.1f s to a working dashboard; install %.1f s wall, %.1f s CPU; load %s\n' \
  "$(git rev-parse --short HEAD)" "$(echo "$end - $start" | bc)" "$install_wall" \
  "$(echo "$install_user + $install_sys" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
