#!/usr/bin/env bash
# Builds the native shim (CMake) and then the .NET solution. Incremental: cheap when nothing changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
config="${CONFIGURATION:-Release}"

cmake -S "$root/native" -B "$root/native/build" -DCMAKE_BUILD_TYPE=Release ${AC_CMAKE_ARGS:-} >/dev/null
cmake --build "$root/native/build" --parallel "$(nproc)"
dotnet build "$root/AutoClassify.sln" -c "$config" --nologo -v quiet -clp:ErrorsOnly
