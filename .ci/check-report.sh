#!/usr/bin/env bash
# The report in a real browser: trains a small run on generated data (Config/smoke.yaml), rebuilds
# its report with `cifake report`, renders report/index.html in headless Chromium, and checks the
# screenshot: a PNG of the window's size, mostly not blank, with the Grad-CAM gallery's jet colours
# on it (so the page's images loaded, not just its text).
#
# Usage: .ci/check-report.sh [OUT_DIR]   (default: a fresh temporary folder; the screenshot is
# OUT_DIR/report.png). Needs a release build (.build/release/cifake). Without chromium it says so
# and exits 0, unless REQUIRE_CHROMIUM=1.
set -euo pipefail
cd "$(dirname "$0")/.."
CIFAKE=${CIFAKE:-.build/release/cifake}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
    echo "check-report: chromium is not installed (apt-get install -y chromium); skipped" >&2
    [ "${REQUIRE_CHROMIUM:-0}" = 1 ] && exit 1
    exit 0
fi
[ -x "$CIFAKE" ] || { echo "check-report: $CIFAKE is not built (swift build -c release)" >&2; exit 1; }

OUT=${1:-$(mktemp -d -t cifake-report-XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RUN="$OUT/run"
rm -rf "$RUN"
"$CIFAKE" train --config Config/smoke.yaml --epochs 2 --out "$RUN" 2> "$OUT/train.log" \
    || { cat "$OUT/train.log" >&2; exit 1; }
rm -rf "$RUN/report"
"$CIFAKE" report "$RUN" > /dev/null 2> "$OUT/report.log" || { cat "$OUT/report.log" >&2; exit 1; }

SHOT="$OUT/report.png"
rm -f "$SHOT"
# No network: the page must not need it. A fresh profile, so nothing cached helps.
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$OUT/chromium-profile" --proxy-server=127.0.0.1:9 \
    --screenshot="$SHOT" --window-size=1200,2400 "file://$RUN/report/index.html" > "$OUT/chromium.log" 2>&1 \
    || { cat "$OUT/chromium.log" >&2; exit 1; }
[ -s "$SHOT" ] || { echo "check-report: chromium wrote no screenshot" >&2; cat "$OUT/chromium.log" >&2; exit 1; }

python3 - "$SHOT" <<'PY'
import struct, sys, zlib

def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"check-report: {path}: expected a PNG signature, found {data[:8]!r}")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f"check-report: {path}: expected 8-bit RGB(A) non-interlaced, found depth {depth} colour {colour}")
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous, pos = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1: line[i] = (line[i] + a) & 255
            elif kind == 2: line[i] = (line[i] + b) & 255
            elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows

width, height, channels, rows = read_png(sys.argv[1])
if (width, height) != (1200, 2400):
    sys.exit(f"check-report: expected a 1200x2400 screenshot, found {width}x{height}")
inked = vivid = 0
colours = set()
for row in rows[::2]:
    for x in range(0, width * channels, 2 * channels):
        r, g, b = row[x], row[x + 1], row[x + 2]
        if r < 235 or g < 235 or b < 235: inked += 1
        # Grad-CAM's jet colours (deep red, yellow, dark blue) are far more saturated than the
        # page's text, tables and plot lines: whole panels of them mean the gallery's PNGs loaded.
        if max(r, g, b) - min(r, g, b) > 150: vivid += 1
        colours.add((r >> 3, g >> 3, b >> 3))
samples = (height // 2) * (width // 2)
share = inked / samples
print(f"check-report: {width}x{height}, {100 * share:.1f}% inked, {len(colours)} colours, {vivid} vivid samples")
if share < 0.08: sys.exit(f"check-report: expected a page with content, found {100 * share:.1f}% non-white")
if len(colours) < 200: sys.exit(f"check-report: expected figures with many colours, found {len(colours)}")
if vivid < 3000: sys.exit(f"check-report: expected Grad-CAM heatmaps on the page, found {vivid} vivid samples")
PY
echo "check-report: ok, screenshot $SHOT"
