#!/usr/bin/env bash
# Compares `ctconform fuzz` against a plain HTTP load generator on the same
# emulator: starts `ctconform serve` on a free port, runs wrk for 10 s
# (benches/wrk-getchannel.lua), then the fuzzer for 10 s, and prints both
# rates and their ratio. Needs wrk (apt-get install -y wrk).
#   benches/fuzz-throughput.sh [SECONDS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
jobs="${2:-4}"
bin="${CTCONFORM_BIN:-${CARGO_TARGET_DIR:-target}/release/ctconform}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
[ -x "$bin" ] || cargo build --release --bin ctconform
fuzz_cmd=("$bin" fuzz)
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin" serve --addr "127.0.0.1:$port" >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
url="http://127.0.0.1:$port"

wrk_rps="$(wrk -t2 -c16 -d"${seconds}s" -s benches/wrk-getchannel.lua "$url" \
  | awk '/Requests\/sec/ {print $2}')"
echo "wrk GetChannel:        ${wrk_rps} requests/s"

report="$("${fuzz_cmd[@]}" --endpoint "$url" --duration "${seconds}s" --jobs "$jobs" --seed 1 --format json)"
fuzz_rps="$(printf '%s' "$report" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["requests_per_sec"]))')"
fuzz_cps="$(printf '%s' "$report" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["cases_per_sec"]))')"
echo "ctconform fuzz:        ${fuzz_rps} requests/s (${fuzz_cps} cases/s), ${jobs} jobs"
python3 -c "print(f'ratio fuzz/wrk:        {float(\"$fuzz_rps\")/float(\"$wrk_rps\"):.0%}')"
