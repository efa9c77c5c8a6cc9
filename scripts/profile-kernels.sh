#!/usr/bin/env bash
# Where the GPU time goes, kernel by kernel, for our engine and for PyTorch on
# the same model, with Nsight Compute (GPU machine, one call; carry .gpu after
# scripts/gpu-check.sh package).
#
#   MODELS=resnet50,yolov8n_style BATCH=1 OUT=$OUT scripts/profile-kernels.sh
#
# For each model: export (bench/models/export_models.py), build fp16 with
# `trtutils build`, then one inference of our engine and one of PyTorch eager
# fp16 channels_last under `ncu --metrics gpu__time_duration.sum`, and a table
# of kernel time grouped by kernel name (scripts/summarize_ncu.py), written to
# $OUT/profile-<model>-b<batch>.md.
set -uo pipefail
cd "$(dirname "$0")/.."
models=${MODELS:-resnet50,yolov8n_style}
batch=${BATCH:-1}
out=${OUT:-$PWD/profile-out}
work=${WORK_DIR:-/tmp/trtutils-profile}
python=${PYTHON:-python3}
mkdir -p "$out" "$work"
[[ -f .gpu/bin.tgz ]] && tar -C .gpu -xzf .gpu/bin.tgz
nvidia_libs=$(ls -d /opt/torch/.venv/lib/python3.12/site-packages/nvidia/*/lib 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="$PWD/.gpu/lib:${nvidia_libs}/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export TRTUTILS_KERNEL_CACHE_DIR=${TRTUTILS_KERNEL_CACHE_DIR:-/tmp/trtutils-kernel-cache}
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
[[ -n $ncu ]] || { echo "profile: ncu not found" >&2; exit 1; }
metric=gpu__time_duration.sum

"$python" bench/models/export_models.py --out "$work" --models "$models" --batch "$batch" \
  --skip-existing --no-ort >"$out/export.log" 2>&1 || { tail -20 "$out/export.log"; exit 1; }

IFS=, read -ra list <<<"$models"
for m in "${list[@]}"; do
  # export_models.py writes batch 1 to <model>/, batch N to <model>-b<N>/.
  dir="$work/$m"; [[ $batch != 1 ]] && dir="$work/$m-b$batch"
  onnx=$(ls "$dir"/*.onnx | head -1)
  engine="$dir/$m-fp16-b$batch.engine"
  .gpu/bin/trtutils build "$onnx" -o "$engine" --fp16 --no-progress >"$out/build-$m.log" 2>&1 ||
    { echo "profile: build of $m failed"; tail -5 "$out/build-$m.log"; continue; }
  # Our engine: three warm-up runs, then the profiled one (ncu skips the warm-up kernels
  # by counting launches of the first run).
  "$ncu" --clock-control none --metrics "$metric" --csv --print-units base \
    .gpu/bin/trtutils bench "$engine" --warmup 0 --iterations 1 --quiet \
    >"$out/ncu-ours-$m.csv" 2>"$out/ncu-ours-$m.err"
  # PyTorch eager fp16 channels_last: profiled between cudaProfilerStart/Stop.
  "$ncu" --clock-control none --metrics "$metric" --csv --print-units base --profile-from-start off \
    "$python" scripts/profile_torch_model.py --onnx-dir "$dir" --model "$m" --batch "$batch" \
    >"$out/ncu-torch-$m.csv" 2>"$out/ncu-torch-$m.err"
  "$python" scripts/summarize_ncu.py --title "$m batch $batch fp16" \
    --ours "$out/ncu-ours-$m.csv" --torch "$out/ncu-torch-$m.csv" >"$out/profile-$m-b$batch.md"
  cat "$out/profile-$m-b$batch.md"
done
