#!/bin/bash -eu
# ClusterFuzzLite build: the cargo-fuzz targets of fuzz/ (its own workspace),
# optimised, into $OUT, each with its libFuzzer dictionary (fuzz/dict/) and a
# seed corpus written by `cargo run --example fuzz_seeds` (fuzz/corpus/<target>/).
cd "$SRC/ctconform"

# target:dictionary
TARGETS="contract_oracle:contract wire_parse:wire scenario_parse:scenario"

cargo fuzz build -O

# Seeds are generated, not committed. A plain build: no sanitizer flags.
if ! RUSTFLAGS="" cargo run --release --example fuzz_seeds; then
  echo "warning: seed corpora could not be generated; fuzzing starts from scratch" >&2
fi

release="fuzz/target/x86_64-unknown-linux-gnu/release"
for entry in $TARGETS; do
  target="${entry%%:*}"
  dict="fuzz/dict/${entry##*:}.dict"
  cp "$release/$target" "$OUT/$target"
  if [ -f "$dict" ]; then
    cp "$dict" "$OUT/$target.dict"
  fi
  seeds="fuzz/corpus/$target"
  if [ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ]; then
    (cd "$seeds" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
  fi
done

# The scenario files seed the scenario parser in any case.
if [ ! -f "$OUT/scenario_parse_seed_corpus.zip" ]; then
  find scenarios -name '*.toml' -print | zip -q -j "$OUT/scenario_parse_seed_corpus.zip" -@
fi
