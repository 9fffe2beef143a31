#!/usr/bin/env bash
# Compares `ctconform fuzz` against a plain HTTP load generator on the same
# emulator: runs wrk for SECONDS (benches/wrk-getchannel.lua) against
# `ctconform serve` on a free port, then the fuzzer for SECONDS with each
# JOBS value, and prints the rates, their ratio to wrk's, and the CPU each
# side spent per request (the fuzzer's client and the server), which stays
# readable when other work shares the machine and the rates do not.
# Every run gets a fresh server: the emulator keeps deleted stores against
# the 10-store quota, so a second run on the same one could not start.
# Without JOBS, the fuzzer's own default for a loopback endpoint.
# Then the fuzzer against its embedded emulator. Needs wrk (apt-get install -y wrk).
#   benches/fuzz-throughput.sh [SECONDS] [JOBS...]     e.g. 10 4 8 16
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
shift || true
jobs_list=("${@:-default}")
bin="${CTCONFORM_BIN:-${CARGO_TARGET_DIR:-target}/release/ctconform}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
[ -x "$bin" ] || cargo build --release --bin ctconform
ticks="$(getconf CLK_TCK)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null || true' EXIT

start_server() {
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$bin" serve --addr "127.0.0.1:$port" >/dev/null &
  server=$!
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  url="http://127.0.0.1:$port"
}

# CPU seconds the server has used so far.
server_cpu() {
  awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$server/stat"
}

stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
}

# Microseconds per request: per_request CPU_SECONDS REQUESTS.
per_request() {
  python3 -c "import sys; print(f'{float(sys.argv[1]) * 1e6 / max(float(sys.argv[2]), 1):.0f}')" "$1" "$2"
}

start_server
before="$(server_cpu)"
wrk_out="$(wrk -t2 -c16 -d"${seconds}s" -s benches/wrk-getchannel.lua "$url")"
after="$(server_cpu)"
stop_server
wrk_rps="$(printf '%s\n' "$wrk_out" | awk '/Requests\/sec/ {print $2}')"
wrk_requests="$(printf '%s\n' "$wrk_out" | awk '/requests in/ {print $1}')"
wrk_server="$(per_request "$(awk -v a="$after" -v b="$before" 'BEGIN {print a - b}')" "$wrk_requests")"
echo "wrk GetChannel:        ${wrk_rps} requests/s (server ${wrk_server} us CPU/request)"

for jobs in "${jobs_list[@]}"; do
  start_server
  before="$(server_cpu)"
  times_file="$(mktemp)"
  TIMEFORMAT='%U %S'
  jobs_flag=()
  [ "$jobs" = default ] || jobs_flag=(--jobs "$jobs")
  report="$( { time "$bin" fuzz --endpoint "$url" --duration "${seconds}s" "${jobs_flag[@]}" --seed 1 --format json 2>/dev/null; } 2>"$times_file")" || true
  after="$(server_cpu)"
  stop_server
  client_cpu="$(awk '{print $1 + $2}' "$times_file")"
  rm -f "$times_file"
  read -r fuzz_rps fuzz_cps requests jobs <<<"$(printf '%s' "$report" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["requests_per_sec"]), round(d["cases_per_sec"]), d["requests"], d["jobs"])')"
  echo "ctconform fuzz:        ${fuzz_rps} requests/s (${fuzz_cps} cases/s), ${jobs} jobs" \
    "(client $(per_request "$client_cpu" "$requests"), server $(per_request "$(awk -v a="$after" -v b="$before" 'BEGIN {print a - b}')" "$requests") us CPU/request)"
  python3 -c "print(f'ratio fuzz/wrk:        {float(\"$fuzz_rps\")/float(\"$wrk_rps\"):.0%}')"
done

# The same fuzzer against its embedded emulator (no --endpoint): the same
# emulator as `serve`, in the fuzzer's process, listening once per fuzzing
# thread so that each thread serves its own requests over loopback HTTP.
report="$("$bin" fuzz --duration "${seconds}s" --seed 1 --format json 2>/dev/null)" || true
read -r fuzz_rps fuzz_cps jobs <<<"$(printf '%s' "$report" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["requests_per_sec"]), round(d["cases_per_sec"]), d["jobs"])')"
echo "ctconform fuzz (embedded emulator): ${fuzz_rps} requests/s (${fuzz_cps} cases/s), ${jobs} jobs"
python3 -c "print(f'ratio embedded/wrk:    {float(\"$fuzz_rps\")/float(\"$wrk_rps\"):.0%} (cases: {float(\"$fuzz_cps\")/float(\"$wrk_rps\"):.0%})')"
