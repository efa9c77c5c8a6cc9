#!/usr/bin/env bash
# Builds the .engine plan reader fuzzer with clang (libFuzzer + AddressSanitizer)
# in build-fuzz and runs it for N seconds (default 120), seeded with the plans in
# fuzz/plan_seeds/ (kept current by tests/plan/plan_round_trip_test). Exits
# non-zero when the fuzzer found a crash.
#   scripts/fuzz-plan.sh [seconds]
set -euo pipefail
seconds="${1:-120}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TRTUTILS_FUZZ_BUILD_DIR:-$root/build-fuzz}"

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer" \
  -DTRTUTILS_BUILD_FUZZERS=ON -DTRTUTILS_BUILD_TESTS=OFF -DTRTUTILS_BUILD_EXAMPLES=OFF \
  -DTRTUTILS_WARNINGS_AS_ERRORS=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
ninja -C "$build" -j2 plan_reader_fuzzer

corpus="$build/plan-corpus"
crashes="$build/plan-crashes"
mkdir -p "$corpus" "$crashes"
echo "seed plans: $(ls "$root/fuzz/plan_seeds" | wc -l); running for ${seconds}s"

log="$build/plan-fuzz.log"
set +e
"$build/bin/plan_reader_fuzzer" "$corpus" "$root/fuzz/plan_seeds" \
  -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -max_len=65536 \
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
