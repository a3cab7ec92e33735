#!/usr/bin/env bash
# Time from a fresh clone to a working dashboard: `make run` in a new directory (fresh venv),
# until GET /login answers 200 or 503 (a page the server rendered).
# Usage: bench/first_start.sh [REF] [PORT]   (REF defaults to HEAD of this repository)
# The pip cache is left as it is (warm after the first install on a machine); set
# PIP_NO_CACHE_DIR=1 to measure a cold download instead.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ref="${1:-HEAD}"
port="${2:-8765}"
dir="$(mktemp -d)"
trap 'kill -- -"$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
git clone -q "$repo" "$dir/clone"
git -C "$dir/clone" checkout -q "$ref"
cd "$dir/clone"
start=$(date +%s.%N)
set -m
PORT="$port" ADMIN_PASSWORD=first-start-bench make run >"$dir/run.log" 2>&1 &
pid=$!
set +m
until code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login") \
      && [ "$code" = 200 -o "$code" = 503 ]; do
  kill -0 "$pid" 2>/dev/null || { cat "$dir/run.log"; echo "make run exited"; exit 1; }
  sleep 0.5
done
end=$(date +%s.%N)
printf 'first start (%s): %.1f s to a working dashboard (GET /login -> %s)\n' \
  "$ref" "$(echo "$end - $start" | bc)" "$code"
