#!/usr/bin/env bash
# The numerical tests under every OpenBLAS kernel family this CPU can execute, besides the one
# OpenBLAS picks by itself: AVX-512 machines pick SkylakeX or Cooperlake and AVX2 ones Haswell or
# Zen, and each rounds GEMMs differently. A tolerance that holds only for one of them is tuned to a
# machine, not derived from a bound; this runs the suite's numerical part under each.
#
# Usage: .ci/other-kernels.sh [FILTER]   (needs the release test build of .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
FILTER=${1:-'KernelsTests|ModelTests|CompressionTests|ExplanationTests|ClusterTests.ClusterTests/testTwoAndThreeWorkersMatchOneProcess|TrainerTests'}
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { [[ " $flags " == *" $1 "* ]]; }
types=()
has avx && types+=(Sandybridge)
has avx2 && has fma && types+=(Haswell Zen)
has avx512f && has avx512bw && has avx512vl && types+=(SkylakeX)
has avx512_bf16 && types+=(Cooperlake)
for type in "${types[@]}"; do
    picked=$(OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE=$type .build/release/cifake bench train --dense 32 --batch 32 --steps 1 --warmup 0 --threads 1 2>&1 \
        | sed -n 's/^Core: //p' | head -1 || true)
    if [ "$picked" != "$type" ]; then
        echo "other-kernels: OpenBLAS did not take OPENBLAS_CORETYPE=$type (it chose '${picked:-?}'); not run" >&2
        continue
    fi
    echo "other-kernels: OPENBLAS_CORETYPE=$type" >&2
    log=$(mktemp)
    status=0
    OPENBLAS_CORETYPE=$type swift test -c release --skip-build --filter "$FILTER" > "$log" 2>&1 || status=$?
    grep -E "error:|Executed [0-9]+ tests" "$log" | tail -5 >&2 || true
    rm -f "$log"
    [ "$status" -eq 0 ] || { echo "other-kernels: failed under OPENBLAS_CORETYPE=$type" >&2; exit 1; }
done
