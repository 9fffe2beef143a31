#!/usr/bin/env bash
# The suite against an endpoint that throttles: `ctconform serve --throttle
# RATE/s` (a token bucket answering ThrottlingException, 400 and 429 in
# turn), the whole suite with default retries and adaptive pacing. Prints
# the wall time beside the bound `requests / rate` (requests counts every
# attempt, retries included), their ratio (the issue's target: at most 2),
# the throttled answers and the retries, and the verdict counts.
#   benches/throttled-suite.sh [RATE] [RUNS] [extra run flags...]
# PROFILE=debug skips the release build (the time is the endpoint's rate's).
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-25}
runs=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release --quiet
else
  cargo build --quiet
fi
bin="${CARGO_TARGET_DIR:-target}/$profile/ctconform"
work=$(mktemp -d)
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for i in $(seq "$runs"); do
  # A fresh endpoint (and a full bucket) per run.
  "$bin" serve --addr 127.0.0.1:0 --throttle "${rate}/s" >"$work/serve.log" 2>&1 &
  serve_pid=$!
  url=""
  for _ in $(seq 50); do
    url=$(sed -n 's/^ctconform emulator listening on //p' "$work/serve.log")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the emulator did not start:"; cat "$work/serve.log"; exit 2; }
  start=$(date +%s.%N)
  set +e
  "$bin" run --endpoint "$url" --snapshots off --format json --output "$work/report.json" "$@" 2>/dev/null
  code=$?
  set -e
  end=$(date +%s.%N)
  kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
  python3 - "$work/report.json" "$start" "$end" "$rate" "$code" "$i" <<'EOF'
import json, sys
report, start, end, rate, code, run = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
d = json.load(open(report))
wall = end - start
requests = d["requests"]
bound = requests / rate
wire = d["wire"]
c = d["counts"]
settled, limit = wire["settled_rate"], wire["throttled_at"]
print(f"run {run}: wall {wall:.2f} s | bound requests/rate = {requests}/{rate:g} = {bound:.2f} s | "
      f"ratio {wall / bound:.2f} | throttled answers {wire['throttled']}, retries {wire['retries']}"
      f"{'' if settled is None else f', last throttled at {limit:.1f}/s, pace settled at {settled:.1f}/s'} | "
      f"{c['passed']} passed, {c['failed']} failed, {c['indeterminate']} indeterminate | exit {code}")
EOF
done
