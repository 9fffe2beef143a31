#!/usr/bin/env bash
# Runner overhead: the whole scenario suite against the embedded emulator,
# release build, N times; prints wall time, scenarios/s and requests/s of
# each run (from the report's own figures) and the best of them.
#   benches/suite.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --quiet
best=""
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  line=$(target/release/ctconform run --snapshots off | grep ' scenarios, ')
  end=$(date +%s.%N)
  wall=$(echo "$end - $start" | bc)
  echo "run $i: wall ${wall}s (process start to exit) | $line"
  if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc)" = 1 ]; then best=$wall; fi
done
echo "best wall time: ${best}s over $runs runs on $(nproc) cores"
