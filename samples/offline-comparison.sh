#!/usr/bin/env bash
# The offline comparison: the handcrafted-feature SVM, LipNet-4 and ImageNet transfer (ML.NET's ResNet-18, which
# `dotnet restore` put in the NuGet cache) cross-validated on the same folds into one report, with no network.
#
#   samples/offline-comparison.sh [DATASET] [--out DIR] [--folds K] [--seed N] [other benchmark options...]
#
# DATASET defaults to the shipped datasets/liposomes, DIR to reports/offline-comparison, K to 5 and N to 42; any other
# option goes to `autoclassify benchmark` unchanged (e.g. --epochs 30, --threads 2, --feature-cache none).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"

# The arms: SVM baseline, a LipNet, and the ImageNet backbone frozen with a softmax head and with an SVM head.
models="svm,lipnet4,resnet18-mlnet-frozen,resnet18-mlnet-frozen-svm"

dataset="$root/datasets/liposomes"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  dataset="$1"
  shift
fi
out="$root/reports/offline-comparison"
folds=5
seed=42
rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out | --folds | --seed)
      if [ $# -lt 2 ]; then
        echo "offline-comparison: $1 needs a value" >&2
        exit 2
      fi
      case "$1" in
        --out) out="$2" ;;
        --folds) folds="$2" ;;
        --seed) seed="$2" ;;
      esac
      shift 2
      ;;
    --models | --models=*)
      echo "offline-comparison: the models are fixed ($models); run 'autoclassify benchmark' for another set" >&2
      exit 2
      ;;
    *)
      rest+=("$1")
      shift
      ;;
  esac
done

"$root/scripts/autoclassify" benchmark "$dataset" --models "$models" --folds "$folds" --seed "$seed" --out "$out" ${rest[@]+"${rest[@]}"}
echo
echo "Report: $out/index.html"
