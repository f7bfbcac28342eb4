#!/usr/bin/env bash
# Installs the native libraries cifake links against, from Debian's packages:
# oneDNN (matrix kernels), ZeroMQ (cluster transport), libjpeg-turbo and libpng (images).
set -euo pipefail
packages=(libopenblas-dev libzmq3-dev libturbojpeg0-dev libpng-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "native libraries: all installed"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
