#!/usr/bin/env bash
# Cluster training throughput, cifake beside PyTorch DDP (gloo), on the same simulated hosts: N
# workers and a coordinator (DDP: N ranks and an idle host 0), each in its own network namespace
# on one bridge, every link shaped both ways to RATE. One after the other, never together; prints
# both images/s and their ratio.
#
# usage: sudo Tests/Benchmarks/cluster-vs-ddp.sh [N] [RATE] [HOOK]     (default: 2 1gbit none)
#   HOOK: DDP's gradient hook, none or fp16;  COMPRESSION=METHOD  cifake's gradient_compression
#   CIFAKE_ARGS="--plain --steps 40"  more `cifake bench cluster` options (--plain: unencrypted, as gloo is)
#   CIFAKE=.build/release/cifake;  ANCHORS=../shared/anchors;  ANCHOR_VENV=/root/anchor-venv (with torch)
# Without torch in the venv or without the anchors, only cifake is measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2}
rate=${2:-1gbit}
hook=${3:-none}
cifake=${CIFAKE:-.build/release/cifake}
anchors=${ANCHORS:-../shared/anchors}
export ANCHOR_VENV=${ANCHOR_VENV:-/root/anchor-venv}
[ "$(id -u)" = 0 ] || { echo "cluster-vs-ddp: network namespaces need root" >&2; exit 2; }
[ -x "$cifake" ] || { echo "cluster-vs-ddp: $cifake is not built (swift build -c release)" >&2; exit 2; }
ddp=yes
if [ ! -f "$anchors/ddp_multihost.sh" ]; then
    echo "cluster-vs-ddp: no $anchors/ddp_multihost.sh: cifake only" >&2
    ddp=
elif ! "$ANCHOR_VENV/bin/python" -c 'import torch' 2>/dev/null; then
    echo "cluster-vs-ddp: $ANCHOR_VENV/bin/python cannot import torch (not installed yet?): cifake only" >&2
    ddp=
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# shellcheck disable=SC2086  # CIFAKE_ARGS is a list of options
"$cifake" bench cluster --hosts "$n" --rate "$rate" --json ${COMPRESSION:+--compression "$COMPRESSION"} ${CIFAKE_ARGS:-} | tee "$log"
cifake_rates=$(python3 -c '
import json, sys
record = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
result = record["result"]
print(round(result["cluster_images_per_second"], 1), round(result["single_images_per_second"], 1), record["transport_security"])' "$log")
read -r cifake_cluster cifake_single cifake_transport <<< "$cifake_rates"

ddp_cluster=
if [ -n "$ddp" ]; then
    echo
    echo "PyTorch DDP (gloo), hook $hook: bash $anchors/ddp_multihost.sh $n $rate $hook"
    bash "$anchors/ddp_multihost.sh" "$n" "$rate" "$hook" 2>&1 | tee "$log"
    ddp_cluster=$(sed -n 's/.*"img_s_median": \([0-9.]*\).*/\1/p' "$log" | tail -1)
    [ -n "$ddp_cluster" ] || echo "cluster-vs-ddp: no img_s_median in DDP's output" >&2
fi

echo
echo "$n workers, links $rate each way:"
echo "  cifake cluster   $cifake_cluster images/s (its single process: $cifake_single; transport $cifake_transport${COMPRESSION:+, gradient_compression $COMPRESSION})"
if [ -n "$ddp_cluster" ]; then
    echo "  PyTorch DDP      $ddp_cluster images/s (gloo, unencrypted; hook $hook)"
    python3 -c 'import sys; print(f"  cifake / DDP     {float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$cifake_cluster" "$ddp_cluster"
fi
