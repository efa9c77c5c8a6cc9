#!/usr/bin/env bash
# Pre-processing benchmark in one call on the GPU machine: trtutils-bench-preprocess
# (ours: idle-queue, back-to-back and CUDA-graph timings vs the measured copy
# bandwidth, bit-exact check, the CPU reference) and bench/preprocess_torch.py
# (PyTorch eager and CUDA graph, same job and timing rules), combined by
# bench/preprocess_report.py into one table. See bench/README.md.
#
#   scripts/bench-preprocess.sh package   # here: Release build of trtutils-bench-preprocess
#                                         # (build-gpu) copied into .gpu/bin (does not wipe
#                                         # .gpu/; scripts/gpu-check.sh package also ships it)
#   scripts/bench-preprocess.sh [run]     # there: $OUT gets bench/results/<UTC date>-<device>-
#                                         # preprocess.md/.json (copy them into bench/results/
#                                         # here), ours.json, torch.json, logs; table printed last
#
# Environment (run):
#   OUT         where results go (default ./bench-out)
#   BATCHES     default 1,32
#   ITERATIONS  idle-queue iterations (default 500, at least 200)
#   VARIANTS    sweep (default: every launch variant of PreprocessTuning, side by side) or default
#   PYTHON      the interpreter with torch (default /opt/torch/.venv/bin/python3, else python3)
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}
tool=trtutils-bench-preprocess

package() {
  set -e
  local build=${BUILD_DIR:-build-gpu}
  if [[ ! -d $build ]]; then
    BUILD_DIR=$build BUILD_TYPE=Release scripts/build.sh -DTRTUTILS_WARNINGS_AS_ERRORS=ON
  else
    cmake --build "$build" --target $tool --parallel "$(nproc)"
  fi
  grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" ||
    echo "bench-preprocess: WARNING: $build is not a Release build" >&2
  mkdir -p .gpu/bin
  cp "$build/tools/bench_preprocess/$tool" .gpu/bin/
  strip --strip-debug .gpu/bin/$tool 2>/dev/null || true
  { git rev-parse --short HEAD; git diff --quiet HEAD -- src include tools || echo "(+ local changes)"; } |
    paste -sd' ' >.gpu/bench-preprocess-commit.txt
  du -sh .gpu
}

run() {
  local out=${OUT:-$PWD/bench-out}
  mkdir -p "$out/bench/results" "$out/logs"
  # gpu-check.sh packs its binaries (this tool among them) into bin.tgz; a
  # separate 'package' above puts a newer copy in .gpu/bin, which wins.
  if [[ ! -x .gpu/bin/$tool && -f .gpu/bin.tgz ]]; then
    tar -C .gpu -xzf .gpu/bin.tgz bin/$tool
  fi
  local python=${PYTHON:-/opt/torch/.venv/bin/python3}
  [[ -x $python ]] || python=python3
  local nvidia_libs
  nvidia_libs=$(ls -d /opt/torch/.venv/lib/python3.12/site-packages/nvidia/*/lib 2>/dev/null | tr '\n' ':')
  export TRTUTILS_KERNEL_CACHE_DIR=${TRTUTILS_KERNEL_CACHE_DIR:-/tmp/trtutils-kernel-cache}
  local commit
  commit=$(cat .gpu/bench-preprocess-commit.txt 2>/dev/null || git rev-parse --short HEAD 2>/dev/null || echo unknown)
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
  local batches=${BATCHES:-1,32} iterations=${ITERATIONS:-500} variants=${VARIANTS:-sweep}
  # Ours first, then torch: never both on the GPU at once.
  if [[ -x .gpu/bin/$tool ]]; then
    LD_LIBRARY_PATH="$PWD/.gpu/lib:${nvidia_libs}/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" \
      timeout 240 .gpu/bin/$tool --batches "$batches" --iterations "$iterations" \
      --variants "$variants" --json "$out/ours.json" --markdown "$out/ours.md" >"$out/logs/ours.log" 2>&1
    echo "bench-preprocess: ours exit $?"
  else
    echo "bench-preprocess: .gpu/bin/$tool missing: run 'scripts/bench-preprocess.sh package' here first"
  fi
  timeout 300 "$python" bench/preprocess_torch.py --batches "$batches" --iterations "$iterations" \
    --json "$out/torch.json" >"$out/logs/torch.log" 2>&1
  echo "bench-preprocess: torch exit $?"
  # A missing or broken JSON shows up in the table as "no result (...)"; see logs/.
  python3 bench/preprocess_report.py --results-dir "$out/bench/results" --commit "$commit" \
    --ours "$out/ours.json" --torch "$out/torch.json"
}

case $mode in
  package) package ;;
  run) run ;;
  *) echo "usage: $0 package|run" >&2; exit 2 ;;
esac
