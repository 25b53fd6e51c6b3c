#!/usr/bin/env bash
# Installs the Debian 12 packages sparq needs, only those missing.
# Runs apt-get update first; uses sudo when not root.
set -euo pipefail

PKGS=(
  build-essential cmake make ccache python3
  verilator yosys iverilog gtkwave
  libeigen3-dev libyaml-cpp-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libgemmlowp-dev dataset-fashion-mnist zlib1g-dev
  libflatbuffers-dev flatbuffers-compiler
  nlohmann-json3-dev clang-14 libfuzzer-14-dev gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
