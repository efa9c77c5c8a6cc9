#!/usr/bin/env bash
# Installs what trtutils needs on Debian 12 from Debian's packages. The CUDA
# toolkit (nvcc, NVRTC, cuBLAS, cuDNN) is expected at /usr/local/cuda; it is
# not a Debian package and this script only checks for it.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  libdlpack-dev nlohmann-json3-dev libcli11-dev libstb-dev
  libopencv-core-dev
  clang libclang-rt-14-dev python3 python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

cuda_root=${CUDA_HOME:-/usr/local/cuda}
if [[ ! -x "$cuda_root/bin/nvcc" ]]; then
  echo "install-deps: the CUDA toolkit was not found at $cuda_root." >&2
  echo "  Install CUDA 12.4 or newer (with cuDNN 9) from NVIDIA and set CUDA_HOME." >&2
  exit 1
fi
