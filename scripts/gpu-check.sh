#!/usr/bin/env bash
# Runs every GPU test, the demo, the PyTorch DLPack test and the GPU benchmarks in
# one call on a GPU machine.
#
#   scripts/gpu-check.sh package   # here: Release build, binaries + the shared
#                                  # libraries they need copied into .gpu/
#   scripts/gpu-check.sh run       # there: runs everything from .gpu/ (gtest binaries,
#                                  # the demo, DLPack<->PyTorch, GPU conformance of the
#                                  # ONNX node tests, compute-sanitizer memcheck on a
#                                  # conformance subset, NMS vs torchvision, YOLO end
#                                  # to end vs PyTorch), writes logs under $OUT (or
#                                  # ./gpu-check-out), and ends with
#                                  # "gpu-check: N passed, N failed, N skipped"
# Whole-model checks and benchmarks: scripts/model-check.sh, scripts/bench.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

package() {
  set -e
  BUILD_DIR=build-gpu BUILD_TYPE=Release scripts/build.sh -DTRTUTILS_WARNINGS_AS_ERRORS=ON
  rm -rf .gpu && mkdir -p .gpu/bin .gpu/lib
  # Only test binaries with GPU tests travel (the rest run in CI); the
  # carried tree must stay under the GPU machine's 64 MiB limit.
  local source
  for source in $(grep -l 'TRTUTILS_REQUIRE_GPU' tests/*/*_test.cpp); do
    local area name
    area=$(basename "$(dirname "$source")")
    name=$(basename "$source" .cpp)
    cp "build-gpu/tests/bin/${area}_${name}" .gpu/bin/
  done
  for extra in build-gpu/examples/scale_swap_transpose build-gpu/tools/onnx_conformance/trtutils-conformance \
               build-gpu/tools/gpu_conformance/trtutils-gpu-conformance build-gpu/tools/cli/trtutils \
               build-gpu/tools/model_check/trtutils-model-check build-gpu/tools/bench_engine/trtutils-bench-engine \
               build-gpu/tools/bench_preprocess/trtutils-bench-preprocess \
               build-gpu/tools/nms_check/trtutils-nms-check build-gpu/tools/preprocess_check/trtutils-preprocess-check; do
    [[ -x $extra ]] && cp "$extra" .gpu/bin/
  done
  strip --strip-all .gpu/bin/* 2>/dev/null || true
  # The GPU machine has no Debian ONNX test data: carry the node tests.
  tar -C /usr/include/onnx/backend/test/data -czf .gpu/node-data.tgz node
  # The PyTorch DLPack test: a ctypes bridge library and its script.
  mkdir -p .gpu/python
  cp build-gpu/tests/python/libtrtutils_dlpack_pytest.so tests/python/test_dlpack_torch.py .gpu/python/
  # NMS vs torchvision and YOLO end to end vs PyTorch (which exports the model
  # with export_models.py, found beside it).
  cp tests/python/nms_vs_torchvision.py tests/python/yolo_end_to_end.py bench/models/export_models.py .gpu/python/
  # Project-external shared libraries that the GPU machine lacks (ONNX, stb,
  # protobuf): everything ldd resolves outside libc's and CUDA's own.
  for bin in .gpu/bin/*; do
    ldd "$bin" | awk '/=> \//{print $3}'
  done | sort -u | grep -E 'libonnx|libprotobuf|libstb' | xargs -r -I{} cp -L {} .gpu/lib/
  # Compressed, the binaries fit the transfer limit with room to spare.
  tar -C .gpu -czf .gpu/bin.tgz bin && rm -rf .gpu/bin
  du -sh .gpu
}

run() {
  local out=${OUT:-$PWD/gpu-check-out}
  [[ -f .gpu/bin.tgz ]] && tar -C .gpu -xzf .gpu/bin.tgz
  mkdir -p "$out"
  local log=$out/gpu-check.log
  local nvidia_libs
  nvidia_libs=$(ls -d /opt/torch/.venv/lib/python3.12/site-packages/nvidia/*/lib 2>/dev/null | tr '\n' ':')
  export LD_LIBRARY_PATH="$PWD/.gpu/lib:${nvidia_libs}/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
  export TRTUTILS_KERNEL_CACHE_DIR=${TRTUTILS_KERNEL_CACHE_DIR:-/tmp/trtutils-kernel-cache}
  : >"$log"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$log"
  mkdir -p "$out/json"
  # The op-lowering tests spend their time compiling NVRTC kernels (a fresh
  # machine has a cold cache) and read no device-wide state: they run four at
  # a time, each into its own log. Everything else runs one at a time, since
  # some tests compare device-wide free memory before and after.
  run_test() {
    local bin=$1 name
    name=$(basename "$bin")
    {
      echo "=== $name"
      timeout 300 "$bin" --gtest_output="json:$out/json/$name.json" 2>&1
      echo "=== $name exit $?"
    } >"$out/json/$name.log"
  }
  local bin
  for bin in .gpu/bin/gpu_lowering_*_test; do
    [[ -x $bin ]] || continue
    while (($(jobs -rp | wc -l) >= 4)); do wait -n; done
    run_test "$bin" &
  done
  wait
  for bin in .gpu/bin/*_test; do
    [[ $(basename "$bin") == gpu_lowering_* ]] && continue
    run_test "$bin"
  done
  for bin in .gpu/bin/*_test; do
    cat "$out/json/$(basename "$bin").log" >>"$log"
    rm -f "$out/json/$(basename "$bin").log"
  done
  if [[ -x .gpu/bin/scale_swap_transpose ]]; then
    echo "=== demo" >>"$log"
    .gpu/bin/scale_swap_transpose >>"$log" 2>&1
    echo "=== demo exit $?" >>"$log"
  fi
  local python=/opt/torch/.venv/bin/python3  # torch's venv (see nvidia_libs) if there is one
  [[ -x $python ]] || python=python3
  if [[ -f .gpu/python/test_dlpack_torch.py ]]; then
    echo "=== dlpack-torch" >>"$log"
    timeout 300 "$python" .gpu/python/test_dlpack_torch.py .gpu/python/libtrtutils_dlpack_pytest.so >>"$log" 2>&1
    echo "=== dlpack-torch exit $?" >>"$log"
  fi
  # Our NMS (GPU and CPU) vs torchvision.ops.nms on crowded random boxes.
  if [[ -x .gpu/bin/trtutils-nms-check && -f .gpu/python/nms_vs_torchvision.py ]]; then
    echo "=== nms-vs-torchvision" >>"$log"
    timeout 300 "$python" .gpu/python/nms_vs_torchvision.py --tool .gpu/bin/trtutils-nms-check \
      --work /tmp/trtutils-nms-vs-torchvision >>"$log" 2>&1
    echo "=== nms-vs-torchvision exit $?" >>"$log"
  fi
  # trtutils detect (fp32 asserted, fp16 reported) vs the same model and pipeline in PyTorch.
  if [[ -x .gpu/bin/trtutils && -f .gpu/python/yolo_end_to_end.py ]]; then
    echo "=== yolo-end-to-end" >>"$log"
    timeout 420 "$python" .gpu/python/yolo_end_to_end.py --trtutils .gpu/bin/trtutils \
      --preprocess-check .gpu/bin/trtutils-preprocess-check --work /tmp/trtutils-yolo-end-to-end \
      >>"$log" 2>&1
    echo "=== yolo-end-to-end exit $?" >>"$log"
  fi
  if [[ -x .gpu/bin/trtutils-gpu-conformance && -f .gpu/node-data.tgz ]]; then
    rm -rf /tmp/trtutils-node-data && mkdir -p /tmp/trtutils-node-data
    tar -C /tmp/trtutils-node-data -xzf .gpu/node-data.tgz
    local data=/tmp/trtutils-node-data/node
    echo "=== gpu-conformance" >>"$log"
    timeout 300 .gpu/bin/trtutils-gpu-conformance --data "$data" --list-failures --jobs 8 \
      --gpu-known-failures tools/gpu_conformance/gpu_known_failures.txt \
      --scope tools/onnx_conformance/scope.txt --known-failures tools/onnx_conformance/known_failures.txt \
      >"$out/gpu-conformance.txt" 2>&1
    echo "exit $?" >>"$out/gpu-conformance.txt"
    tail -n 1 "$out/gpu-conformance.txt" | sed 's/^exit/gpu-conformance exit/' >>"$log"
    grep -E '^gpu-conformance: ' "$out/gpu-conformance.txt" >>"$log"
    echo "=== gpu-conformance end" >>"$log"
    if command -v compute-sanitizer >/dev/null; then
      echo "=== memcheck" >>"$log"
      timeout 240 compute-sanitizer --tool memcheck --leak-check full --report-api-errors no \
        .gpu/bin/trtutils-gpu-conformance --data "$data" --no-fork --jobs 1 \
        --filter '^test_(relu|add_bcast|conv_with_strides_padding|gemm_default_matrix_bias|gather_0|softmax_axis_1|maxpool_2d_pads|resize_upsample_scales_linear|reduce_mean_default_axes_keepdims_example|transpose_all_permutations_0|concat_3d_axis_0|slice|layer_normalization_2d_axis0|nonzero_example)$' \
        --scope tools/onnx_conformance/scope.txt --known-failures tools/onnx_conformance/known_failures.txt \
        >"$out/memcheck.txt" 2>&1
      # Failing node tests are counted by the conformance run above; memcheck
      # passes when the sanitizer itself reports no error.
      grep -qE 'ERROR SUMMARY: 0 errors' "$out/memcheck.txt"
      echo "=== memcheck exit $?" >>"$log"
      grep -E 'ERROR SUMMARY|LEAK SUMMARY|^gpu-conformance: ' "$out/memcheck.txt" >>"$log"
    fi
  fi
  python3 scripts/summarize_gtest.py "$out/json" "$log" | tee -a "$log"
  tar -C "$out" -czf "$out/gtest-json.tar.gz" json && rm -rf "$out/json"
}

case $mode in
  package) package ;;
  run) run ;;
  *) echo "usage: $0 package|run" >&2; exit 2 ;;
esac
