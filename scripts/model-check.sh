#!/usr/bin/env bash
# Whole-model correctness against PyTorch, in one call on the GPU machine.
#
#   scripts/model-check.sh package   # here, after scripts/gpu-check.sh package:
#                                    # adds trtutils-model-check (and the ONNX /
#                                    # protobuf libraries it needs) to .gpu/
#   scripts/model-check.sh [run]     # there: exports the models with PyTorch
#                                    # (bench/models/export_models.py), builds and
#                                    # runs each with trtutils-model-check, writes
#                                    # $OUT/model-check.txt (the table) and .json,
#                                    # ends with "model-check: N passed, N failed"
#
# Environment (run):
#   OUT          where results go (default ./model-check-out); only small files:
#                the table, JSON, logs and each model's meta.json
#   OUT_DIR      where the models are exported (default /tmp/trtutils-models;
#                ONNX + engines are ~1.5 GB, so not under $OUT)
#   MODELS       comma-separated subset (default: all of export_models.py)
#   PRECISION    fp32, fp16 or both (default both)
#   FORCE_EXPORT=1  export again even when every model folder is complete
#   CHECK_ARGS   extra arguments for trtutils-model-check (e.g. --cpu-reference)
#   PYTHON       the interpreter with torch (default python3)
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}
all_models=resnet50,mobilenet_v3_large,efficientnet_b0,convnext_tiny,vit_b_16,yolov8n_style

package() {
  set -e
  local build=${BUILD_DIR:-build-gpu}
  local bin=$build/tools/model_check/trtutils-model-check
  if [[ ! -d $build ]]; then
    BUILD_DIR=$build BUILD_TYPE=Release scripts/build.sh -DTRTUTILS_WARNINGS_AS_ERRORS=ON
  else
    cmake --build "$build" --target trtutils-model-check --parallel "$(nproc)"
  fi
  [[ -x $bin ]] || { echo "model-check: $bin was not built (no builder/runtime targets?)" >&2; exit 1; }
  mkdir -p .gpu/bin .gpu/lib
  cp "$bin" .gpu/bin/
  strip --strip-debug .gpu/bin/trtutils-model-check 2>/dev/null || true
  ldd .gpu/bin/trtutils-model-check | awk '/=> \//{print $3}' | grep -E 'libonnx|libprotobuf' |
    xargs -r -I{} cp -L {} .gpu/lib/
  du -sh .gpu
}

run() {
  [[ -f .gpu/bin.tgz ]] && tar -C .gpu -xzf .gpu/bin.tgz  # packed by gpu-check.sh
  local out=${OUT:-$PWD/model-check-out}
  local models_dir=${OUT_DIR:-/tmp/trtutils-models}
  local models=${MODELS:-$all_models}
  local python=${PYTHON:-python3}
  mkdir -p "$out" "$models_dir"
  local nvidia_libs
  nvidia_libs=$(ls -d /opt/torch/.venv/lib/python3.12/site-packages/nvidia/*/lib 2>/dev/null | tr '\n' ':')
  export TRTUTILS_KERNEL_CACHE_DIR=${TRTUTILS_KERNEL_CACHE_DIR:-/tmp/trtutils-kernel-cache}
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"

  # 1. Export (skipped when every model folder already holds its ONNX file,
  #    input and oracle outputs, unless FORCE_EXPORT=1).
  local missing=0 m
  for m in ${models//,/ }; do
    for f in model.onnx input.npy output_0.npy; do
      [[ -f $models_dir/$m/$f ]] || missing=1
    done
  done
  local export_rc=0
  if [[ $missing == 1 || ${FORCE_EXPORT:-0} == 1 ]]; then
    local skip=(--skip-existing)
    [[ ${FORCE_EXPORT:-0} == 1 ]] && skip=()
    echo "=== export ($models) -> $models_dir"
    "$python" bench/models/export_models.py --out "$models_dir" --models "$models" "${skip[@]}" \
      2>&1 | tee "$out/export.log"
    export_rc=${PIPESTATUS[0]}
  else
    echo "=== export skipped: every model folder in $models_dir is complete (FORCE_EXPORT=1 redoes it)" |
      tee "$out/export.log"
  fi
  for m in ${models//,/ }; do
    [[ -f $models_dir/$m/meta.json ]] && cp "$models_dir/$m/meta.json" "$out/meta-$m.json"
  done

  # 2. Build, run and compare with the engine.
  local tool=.gpu/bin/trtutils-model-check
  if [[ ! -x $tool ]]; then
    echo "model-check: $tool missing: run 'scripts/model-check.sh package' before shipping .gpu/" |
      tee "$out/model-check.txt"
    echo "model-check: 0 passed, 1 failed" | tee -a "$out/model-check.txt"
    return 1
  fi
  # Every model asked for: one whose export failed shows as FAIL ("no model.onnx").
  local dirs=()
  for m in ${models//,/ }; do
    dirs+=("$models_dir/$m")
  done
  [[ $export_rc != 0 ]] && echo "!!! the export step failed for some model(s); see $out/export.log"
  echo "=== trtutils-model-check (${PRECISION:-both})"
  # shellcheck disable=SC2086
  LD_LIBRARY_PATH="$PWD/.gpu/lib:${nvidia_libs}/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}" \
    "$tool" "${dirs[@]}" --precision "${PRECISION:-both}" --json "$out/model-check.json" \
    --timing-cache "$models_dir/timing.cache" ${CHECK_ARGS:-} 2>"$out/model-check.stderr" |
    tee "$out/model-check.txt"
  local rc=${PIPESTATUS[0]}
  [[ $export_rc != 0 ]] && rc=1
  return "$rc"
}

case $mode in
  package) package ;;
  run) run ;;
  *) echo "usage: $0 package|run" >&2; exit 2 ;;
esac
