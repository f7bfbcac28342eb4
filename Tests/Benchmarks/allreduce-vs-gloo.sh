#!/usr/bin/env bash
# Ring all-reduce bus bandwidth, cifake beside PyTorch's gloo, in one sitting: rounds alternate
# between them, so that drift in a shared machine's speed hits both alike; prints every round and
# then each column's median (with its range) over the rounds.
#
# usage: Tests/Benchmarks/allreduce-vs-gloo.sh [ROUNDS]        (default 5)
#   WORKERS="4 2"  process counts;  SIZES="4 16 64"  MiB
#   CIFAKE=.build/release/cifake;  ANCHORS=../shared/anchors;  PYTHON=python3 (with torch)
# Without torch or the anchors, only cifake's rows are measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
workers=${WORKERS:-"4 2"}
read -ra sizes <<< "${SIZES:-4 16 64}"
cifake=${CIFAKE:-.build/release/cifake}
anchors=${ANCHORS:-../shared/anchors}
python=${PYTHON:-python3}
[ -x "$cifake" ] || { echo "allreduce-vs-gloo: $cifake is not built (swift build -c release)" >&2; exit 2; }
gloo=yes
if [ ! -f "$anchors/gloo_allreduce.py" ] || ! "$python" -c 'import torch' 2>/dev/null; then
    echo "allreduce-vs-gloo: no $anchors/gloo_allreduce.py or no torch for $python: cifake only" >&2
    gloo=
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for round in $(seq "$rounds"); do
    for w in $workers; do
        for transport in ipc tcp; do
            # Columns of the bench's table: size, per rep, median ms, min ms, algbw, busbw, ...
            line=$("$cifake" bench allreduce --workers "$w" --mib "${sizes[@]}" --transport "$transport" |
                   awk '/^ +[0-9]/ { printf "%s ", $6 }')
            echo "round $round | $w processes | cifake $transport | $line" | tee -a "$log"
        done
        if [ -n "$gloo" ]; then
            line=$("$python" "$anchors/gloo_allreduce.py" --world "$w" --sizes-mib "${sizes[@]}" --reps 10 2>/dev/null |
                   sed -n 's/.*"busbw_GBps": \([0-9.]*\).*/\1/p' | tr '\n' ' ')
            echo "round $round | $w processes | gloo | $line" | tee -a "$log"
        fi
    done
done

echo
echo "busbw GB/s at ${sizes[*]} MiB: median over $rounds rounds [range]"
python3 - "$log" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    _, processes, who, values = [part.strip() for part in line.split("|")]
    rows.setdefault((processes, who), []).append([float(v) for v in values.split()])
for (processes, who), runs in rows.items():
    columns = zip(*runs)
    print(f"{processes:12} {who:12}", "  ".join(f"{statistics.median(c):.3f} [{min(c):.3f}-{max(c):.3f}]" for c in columns))
PY
