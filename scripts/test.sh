#!/usr/bin/env bash
# Runs every test against the real engines: installs what is missing, builds the shim and the
# solution, checks formatting, then runs xunit. This is the README's test command; .ci/run calls it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

"$root/scripts/install-deps.sh" --with-browser
"$root/scripts/build.sh"
dotnet format "$root/AutoClassify.sln" --verify-no-changes --no-restore
dotnet test "$root/AutoClassify.sln" -c "${CONFIGURATION:-Release}" --no-build --nologo "$@"
