#!/usr/bin/env bash
# Builds the plain-libtorch reference loop into bench/native/build (incremental).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cmake -S "$here" -B "$here/build" -DCMAKE_BUILD_TYPE=Release ${AC_CMAKE_ARGS:-} >/dev/null
cmake --build "$here/build" --parallel "$(nproc)" >/dev/null
echo "$here/build/lipnet4_train"
