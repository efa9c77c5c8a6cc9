#!/usr/bin/env bash
# The main demo: installs missing dependencies, builds, and runs the seed
# tutorial (NVRTC scaleSwapTranspose pre-processing of a 640x640 image,
# checked element by element against the CPU). Without a GPU it says so,
# compiles the kernel with NVRTC and checks the CPU path.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
"${BUILD_DIR:-build}"/examples/scale_swap_transpose "$@"
