#!/usr/bin/env bash
# Memory over a long fuzz run: starts `ctconform fuzz` (the embedded
# emulator unless ENDPOINT is set) for SECONDS, samples its resident set
# size every INTERVAL seconds, and prints each sample, then the first,
# the largest and the last, with the growth over the run's second half
# (after warm-up).
#   benches/fuzz-memory.sh [SECONDS] [INTERVAL]          e.g. 600 10
#   ENDPOINT=http://127.0.0.1:4566 benches/fuzz-memory.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
interval="${2:-10}"
bin="${CTCONFORM_BIN:-${CARGO_TARGET_DIR:-target}/release/ctconform}"
[ -x "$bin" ] || cargo build --release --bin ctconform
args=(fuzz --duration "${seconds}s" --seed 1 --format json)
[ -n "${ENDPOINT:-}" ] && args+=(--endpoint "$ENDPOINT")
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
"$bin" "${args[@]}" >"$report" &
fuzzer=$!
samples=()
elapsed=0
while kill -0 "$fuzzer" 2>/dev/null; do
  rss_kib="$(awk '/^VmRSS/ {print $2}' "/proc/$fuzzer/status" 2>/dev/null || true)"
  if [ -n "$rss_kib" ]; then
    samples+=("$rss_kib")
    printf '%5d s  %8.1f MiB\n' "$elapsed" "$(echo "$rss_kib / 1024" | bc -l)"
  fi
  sleep "$interval"
  elapsed=$((elapsed + interval))
done
wait "$fuzzer" || true
python3 - "$report" "${samples[@]}" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
kib = [int(s) for s in sys.argv[2:]]
mib = [k / 1024 for k in kib]
half = mib[len(mib) // 2:]
print(f"samples: {len(mib)}; first {mib[0]:.1f} MiB, peak {max(mib):.1f} MiB, last {mib[-1]:.1f} MiB")
print(f"second half: {min(half):.1f}..{max(half):.1f} MiB (growth {half[-1] - half[0]:+.1f} MiB)")
print(f"fuzz: {report['cases']} cases, {report['requests']} requests, "
      f"{round(report['requests_per_sec'])} requests/s, diverged: {report['diverged'] if 'diverged' in report else len(report.get('findings', []))}")
PY
