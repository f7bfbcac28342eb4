#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (swiftc -sanitize=fuzzer,address), outside CI:
#   Tests/Fuzz/run-libfuzzer.sh [safetensors|wire] [seconds]   (default: both, 120 s each)
# Each target compiles the decoder's own sources with its entry point into one instrumented
# binary under .build/fuzz/. The seed corpus is Tests/Fuzz/corpus/<target>/ (small valid and
# once-crashing inputs, kept); new interesting inputs go to .build/fuzz/<target>-corpus/ and
# crashes to .build/fuzz/<target>-artifacts/ (copy a crashing input into the corpus after fixing it).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${2:-120}"
targets="${1:-safetensors wire}"
mkdir -p .build/fuzz
for target in $targets; do
    case "$target" in
        safetensors) sources=(Sources/Model/SafeTensors.swift Sources/Model/ParameterLayout.swift Tests/Fuzz/SafeTensorsFuzzer.swift) ;;
        wire) sources=(Sources/Wire/*.swift Sources/Coordination/*.swift Tests/Fuzz/WireFuzzer.swift) ;;
        *) echo "unknown target '$target' (expected safetensors or wire)" >&2; exit 2 ;;
    esac
    dictionary=()
    [ -f "Tests/Fuzz/$target.dict" ] && dictionary=(-dict="Tests/Fuzz/$target.dict")
    # One module from several: the imports of the project's own modules go.
    staging=".build/fuzz/$target-sources"
    rm -rf "$staging" && mkdir -p "$staging"
    for source in "${sources[@]}"; do
        sed -E '/^import (Coordination|Model|Kernels|Data|Storage|Wire)$/d' "$source" > "$staging/$(basename "$source")"
    done
    binary=".build/fuzz/$target-fuzzer"
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "Fuzz${target}" "$staging"/*.swift -o "$binary"
    mkdir -p ".build/fuzz/$target-corpus" ".build/fuzz/$target-artifacts" "Tests/Fuzz/corpus/$target"
    "$binary" "${dictionary[@]}" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=5 \
        -artifact_prefix=".build/fuzz/$target-artifacts/" ".build/fuzz/$target-corpus" "Tests/Fuzz/corpus/$target" 2>&1 | tail -n 25
done
