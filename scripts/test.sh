#!/usr/bin/env bash
# The test command: installs missing dependencies, builds, and runs the whole
# suite (unit tests, ONNX conformance). GPU tests skip, saying why, on a
# machine without a GPU; scripts/gpu-check.sh runs them on one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1200 -j "$(nproc)"
