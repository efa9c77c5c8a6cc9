#!/usr/bin/env bash
# Builds the ONNX importer fuzzer with clang (libFuzzer + AddressSanitizer) in
# build-fuzz and runs it for N seconds (default 180), seeded with the models of
# ONNX's backend test data. Prints executions and crashes; exits non-zero when
# the fuzzer found a crash.
#   scripts/fuzz-importer.sh [seconds]
set -euo pipefail
seconds="${1:-180}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TRTUTILS_FUZZ_BUILD_DIR:-$root/build-fuzz}"
data=/usr/include/onnx/backend/test/data

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer" \
  -DTRTUTILS_BUILD_FUZZERS=ON -DTRTUTILS_BUILD_TESTS=OFF -DTRTUTILS_BUILD_EXAMPLES=OFF \
  -DTRTUTILS_WARNINGS_AS_ERRORS=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
ninja -C "$build" -j2 onnx_import_fuzzer

seed="$build/seed"
corpus="$build/corpus"
crashes="$build/crashes"
mkdir -p "$seed" "$corpus" "$crashes"
if [ -z "$(ls -A "$seed")" ]; then
  # Every backend test model plus one tensor file per test as seeds.
  for model in "$data"/*/*/model.onnx; do
    name="$(basename "$(dirname "$model")")"
    cp "$model" "$seed/$name.onnx"
    input="$(dirname "$model")/test_data_set_0/input_0.pb"
    [ -f "$input" ] && cp "$input" "$seed/$name.input_0.pb"
  done
fi
echo "seed inputs: $(ls "$seed" | wc -l); running for ${seconds}s"

log="$build/fuzz.log"
set +e
"$build/bin/onnx_import_fuzzer" "$corpus" "$seed" \
  -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -max_len=262144 \
  -timeout=10 -artifact_prefix="$crashes/" >"$log" 2>&1
status=$?
set -e
execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
found="$(ls "$crashes" | wc -l)"
echo "fuzzer exit status: $status"
echo "executions: ${execs:-unknown} in ${seconds}s; corpus: $(ls "$corpus" | wc -l) inputs"
echo "crashes/timeouts/ooms saved: $found ($crashes)"
tail -n 5 "$log"
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
  grep -m 20 -E 'ERROR|SUMMARY|escaped|==[0-9]+==' "$log" || true
  exit 1
fi
