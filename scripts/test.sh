#!/usr/bin/env bash
# Runs every test against the real engines: installs what is missing, builds the shim and the
# solution, checks formatting, then runs xunit. This is the README's test command; .ci/run calls it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
results="$root/tests/TestResults"

"$root/scripts/install-deps.sh" --with-browser --with-slurm
"$root/scripts/build.sh"
dotnet format "$root/AutoClassify.sln" --verify-no-changes --no-restore
rm -rf "$results"
status=0
dotnet test "$root/AutoClassify.sln" -c "${CONFIGURATION:-Release}" --no-build --nologo \
  --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@" || status=$?

# One plain closing line, whatever the runner printed: "N passed, N failed".
if [ -f "$results/tests.trx" ]; then
  passed=$(grep -o 'passed="[0-9]*"' "$results/tests.trx" | head -n1 | grep -o '[0-9]*')
  failed=$(grep -o 'failed="[0-9]*"' "$results/tests.trx" | head -n1 | grep -o '[0-9]*')
  echo "${passed:-0} passed, ${failed:-0} failed"
fi
exit "$status"
