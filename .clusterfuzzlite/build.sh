#!/bin/bash -eu
# ClusterFuzzLite build: the cargo-fuzz targets of fuzz/, optimised, into
# $OUT, each with its dictionary and seed corpus when the repository has them
# (fuzz/dicts/NAME.dict or fuzz/NAME.dict; fuzz/corpus/NAME/ or fuzz/seeds/NAME/).
cd "$SRC/ctconform"

TARGETS="contract_oracle wire_parse scenario_parse"

cargo fuzz build -O

release="fuzz/target/x86_64-unknown-linux-gnu/release"
for target in $TARGETS; do
  cp "$release/$target" "$OUT/$target"
  for dict in "fuzz/dicts/$target.dict" "fuzz/$target.dict"; do
    if [ -f "$dict" ]; then
      cp "$dict" "$OUT/$target.dict"
      break
    fi
  done
  for seeds in "fuzz/corpus/$target" "fuzz/seeds/$target"; do
    if [ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ]; then
      (cd "$seeds" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
      break
    fi
  done
done

# The scenario corpus seeds the scenario parser when fuzz/ brings no seeds of its own.
if [ ! -f "$OUT/scenario_parse_seed_corpus.zip" ]; then
  find scenarios -name '*.toml' -print | zip -q -j "$OUT/scenario_parse_seed_corpus.zip" -@
fi
