#!/usr/bin/env bash
# The first README command: installs what is missing, builds everything, runs the demo benchmark on the
# embedded liposome data set, and prints where the report is.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
"$root/scripts/autoclassify" benchmark "$root/datasets/liposomes" --folds 5 --seed 42 --models svm,lipnet4 --out "$root/reports/liposomes"
echo
echo "Report: $root/reports/liposomes/index.html"
echo "SVM, LipNet and ImageNet transfer side by side, offline: samples/offline-comparison.sh"
