#!/usr/bin/env bash
# Engine (fp16) against PyTorch (eager, CUDA graph, torch.compile) on the
# model-correctness set at batch 1 and 32, in one call on the GPU machine.
#
#   scripts/bench.sh package   # here: Release build of trtutils-bench-engine
#                              # (build-gpu), copied with the ONNX / protobuf
#                              # libraries it needs into .gpu/ (does not wipe
#                              # .gpu/: run it after scripts/gpu-check.sh package)
#   scripts/bench.sh [run]     # there: bench/run_benchmarks.py; the table is
#                              # printed last; $OUT gets bench.log, logs/,
#                              # gpu.txt and bench/results/<date>-<device>.md/.json
#                              # (copy those into bench/results/ here)
#
# Environment (run):
#   OUT        where results go (default ./bench-out)
#   WORK_DIR   exports, engines, timing cache (default /tmp/trtutils-bench; kept
#              while the machine stays warm, so a second call measures everything)
#   MODELS     comma-separated subset (default: all six)
#   BATCHES    default 1,32
#   BUDGET     seconds for the script (default 530; the call's limit is 600)
#   BENCH_ARGS more arguments for bench/run_benchmarks.py (e.g. --iterations 300
#              --compile-modes reduce-overhead --serial-compile)
#   PYTHON     the interpreter with torch (default python3)
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

package() {
  set -e
  local build=${BUILD_DIR:-build-gpu}
  local bin=$build/tools/bench_engine/trtutils-bench-engine
  if [[ ! -d $build ]]; then
    BUILD_DIR=$build BUILD_TYPE=Release scripts/build.sh -DTRTUTILS_WARNINGS_AS_ERRORS=ON
  else
    cmake --build "$build" --target trtutils-bench-engine --parallel "$(nproc)"
  fi
  [[ -x $bin ]] || { echo "bench: $bin was not built (no builder/runtime targets?)" >&2; exit 1; }
  grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" ||
    echo "bench: WARNING: $build is not a Release build: host-overhead numbers will be pessimistic" >&2
  mkdir -p .gpu/bin .gpu/lib
  cp "$bin" .gpu/bin/
  strip --strip-debug .gpu/bin/trtutils-bench-engine 2>/dev/null || true
  ldd .gpu/bin/trtutils-bench-engine | awk '/=> \//{print $3}' | grep -E 'libonnx|libprotobuf' |
    xargs -r -I{} cp -L {} .gpu/lib/
  { git rev-parse --short HEAD; git diff --quiet HEAD -- src include tools || echo "(+ local changes)"; } |
    paste -sd' ' >.gpu/bench-commit.txt
  du -sh .gpu
}

run() {
  [[ -f .gpu/bin.tgz ]] && tar -C .gpu -xzf .gpu/bin.tgz  # packed by gpu-check.sh
  local out=${OUT:-$PWD/bench-out}
  local python=${PYTHON:-python3}
  mkdir -p "$out"
  local nvidia_libs
  nvidia_libs=$(ls -d /opt/torch/.venv/lib/python3.12/site-packages/nvidia/*/lib 2>/dev/null | tr '\n' ':')
  # For the engine tool only (run_benchmarks.py puts it first on its LD_LIBRARY_PATH).
  export ENGINE_LD_LIBRARY_PATH="$PWD/.gpu/lib:${nvidia_libs}/usr/local/cuda/lib64"
  export TRTUTILS_KERNEL_CACHE_DIR=${TRTUTILS_KERNEL_CACHE_DIR:-/tmp/trtutils-kernel-cache}
  export BENCH_COMMIT=${BENCH_COMMIT:-$(cat .gpu/bench-commit.txt 2>/dev/null || echo unknown)}
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
  [[ -x .gpu/bin/trtutils-bench-engine ]] ||
    echo "bench: .gpu/bin/trtutils-bench-engine missing: run 'scripts/bench.sh package' here first" |
    tee -a "$out/gpu.txt"
  local args=(--out "$out" --work-dir "${WORK_DIR:-/tmp/trtutils-bench}" --budget "${BUDGET:-530}"
              --engine-tool .gpu/bin/trtutils-bench-engine --batches "${BATCHES:-1,32}")
  [[ -n ${MODELS:-} ]] && args+=(--models "$MODELS")
  # shellcheck disable=SC2086
  timeout -k 5 "${BENCH_TIMEOUT:-590}" "$python" bench/run_benchmarks.py "${args[@]}" ${BENCH_ARGS:-} \
    2>&1 | tee "$out/bench.log"
  local rc=${PIPESTATUS[0]}
  [[ $rc == 124 || $rc == 137 ]] && echo "bench: stopped by the ${BENCH_TIMEOUT:-590}s timeout; partial results in $out/bench/results"
  return "$rc"
}

case $mode in
  package) package ;;
  run) run ;;
  *) echo "usage: $0 package|run" >&2; exit 2 ;;
esac
