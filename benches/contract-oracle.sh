#!/usr/bin/env bash
# contract_oracle's in-process rate under libFuzzer: builds the target for
# throughput (`-s none -O --features fast-alloc --no-trace-compares`; the
# bug-finding build is `cargo +nightly fuzz run contract_oracle`), then runs
# it for SECONDS from an empty corpus and for SECONDS on a copy of
# fuzz/corpus/contract_oracle (if there is one: `cargo run --example
# fuzz_seeds`), one process each, and prints libFuzzer's exec/s with how
# many requests one exec (a session) held on average. Needs cargo-fuzz
# (`cargo install cargo-fuzz`).
#   benches/contract-oracle.sh [SECONDS]            e.g. 30
#   FUZZ_TARGET_DIR=/tmp/fuzz-bench benches/contract-oracle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
target_dir="${FUZZ_TARGET_DIR:-fuzz/target}"
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2; exit 2; }
(cd fuzz && cargo fuzz build contract_oracle -s none -O --features fast-alloc \
  --no-trace-compares --target-dir "$target_dir" >/dev/null 2>&1) \
  || { echo "building contract_oracle failed: run the cargo fuzz build above by hand" >&2; exit 2; }
case "$target_dir" in /*) ;; *) target_dir="fuzz/$target_dir" ;; esac
bin="$target_dir/x86_64-unknown-linux-gnu/release/contract_oracle"
cargo build --release --example inprocess_rate >/dev/null 2>&1
rate_bin="${CARGO_TARGET_DIR:-target}/release/examples/inprocess_rate"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One libFuzzer run on corpus directory $2; prints its rate, labelled $1,
# from its last line, "Done N runs in S second(s)".
run() {
  local label="$1" corpus="$2" runs secs per_session
  read -r runs secs < <("$bin" "$corpus" -max_total_time="$seconds" -seed=1 2>&1 \
    | sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' | tail -1)
  per_session="$("$rate_bin" "$corpus" | sed -n 's/.*requests, \([0-9.]*\) per session.*/\1/p')"
  printf '%-32s %d exec/s (%d runs in %d s), %s requests per session in the corpus it ends with\n' \
    "$label:" "$((runs / secs))" "$runs" "$secs" "$per_session"
}

mkdir "$work/empty"
run "contract_oracle, empty corpus" "$work/empty"
if [ -d fuzz/corpus/contract_oracle ]; then
  cp -r fuzz/corpus/contract_oracle "$work/seeded"
  run "contract_oracle, seeded corpus" "$work/seeded"
fi
