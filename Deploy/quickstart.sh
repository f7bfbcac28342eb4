#!/usr/bin/env bash
# One command from a fresh Debian machine with Swift to a trained model:
#   Deploy/quickstart.sh                 # synthetic data, offline, about a minute
#   Deploy/quickstart.sh PATH [FLAGS]    # a CIFAKE folder or packed file, e.g. --config Config/cnn2d-d32.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh
swift build -c release --product cifake
if [ $# -eq 0 ]; then
    exec .build/release/cifake train --config Config/smoke.yaml
fi
data=$1
shift
config=Config/cnn2d-d32.yaml
exec .build/release/cifake train --config "$config" --data "$data" "$@"
