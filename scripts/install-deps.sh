#!/usr/bin/env bash
# Installs the Debian packages AutoClassify binds to, only those that are missing. Safe to run again.
# Usage: scripts/install-deps.sh [--with-browser] [--with-bench] [--with-slurm]
set -euo pipefail

# libopenblas0-openmp: Debian's libtorch calls the system BLAS for matrix products and transposed convolutions; the
# reference BLAS it otherwise gets is about 12x slower at GEMM (bench `peak`), OpenMP-threaded like libtorch itself.
packages=(cmake g++ libopencv-dev libjpeg-dev libtorch-dev libsvm-dev libtesseract5 tesseract-ocr-eng libopenblas0-openmp)
for arg in "$@"; do
  case "$arg" in
    --with-browser) packages+=(chromium poppler-utils) ;;
    --with-bench) packages+=(libsvm-tools python3-torch) ;;
    --with-slurm) packages+=(slurmd slurmctld slurm-client munge) ;;
    *) echo "install-deps: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all present (${packages[*]})"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
