#!/usr/bin/env bash
# The report in a real browser: trains a small run on generated data (Config/smoke.yaml), rebuilds
# its report with `cifake report` (its test images renamed to carry CIFAR-10 classes, in the same
# order, so the per-class figure is drawn too), renders report/index.html in headless Chromium, and
# checks
# - in the page itself (a copy with a probe script added): no script or console error, no image
#   that failed to load, and every figure of the report present by id, with text, at non-zero size;
# - the screenshot: a PNG of the window's size, mostly not blank, with the Grad-CAM gallery's jet
#   colours on it (so the page's images loaded, not just its text);
# then the same probe on `cifake compare --html` of the run and a copy of it.
#
# Usage: .ci/check-report.sh [OUT_DIR]   (default: a fresh temporary folder; the screenshots are
# OUT_DIR/report.png and OUT_DIR/compare.png). Needs a release build (.build/release/cifake).
# Without chromium it says so and exits 0, unless REQUIRE_CHROMIUM=1.
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
# The generated test images renamed <class>_<number>.png, classes assigned in name order so the
# loading order (and the test set's digest) stays the run's.
python3 - "$RUN/synthetic-data/test" "$OUT/named-test" <<'PY'
import os, shutil, sys
classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
source, target = sys.argv[1], sys.argv[2]
shutil.rmtree(target, ignore_errors=True)
for label in ("REAL", "FAKE"):
    names = sorted(os.listdir(os.path.join(source, label)), key=lambda n: n.encode())
    os.makedirs(os.path.join(target, label))
    for i, name in enumerate(names):
        shutil.copyfile(os.path.join(source, label, name),
                        os.path.join(target, label, f"{classes[i * 10 // len(names)]}_{name}"))
PY
"$CIFAKE" report "$RUN" --test-data "$OUT/named-test" > /dev/null 2> "$OUT/report.log" || { cat "$OUT/report.log" >&2; exit 1; }
if grep -q 'class="note"' "$RUN/report/index.html"; then
    echo "check-report: the report has notes (expected none for a complete run):" >&2
    grep -o '<p class="note">[^<]*' "$RUN/report/index.html" >&2
    exit 1
fi

# probe PAGE OUT_JSON ID...: loads a copy of PAGE (beside it, so its pictures resolve) with a probe
# script in Chromium and checks what the page reported: errors, pictures, figures by id.
probe() {
    local page=$1 result=$2; shift 2
    local copy
    copy="$(dirname "$page")/.probe-$(basename "$page")"
    python3 - "$page" "$copy" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
probe = """<script>
window.__problems = [];
window.addEventListener("error", e => {
  const t = e.target;
  window.__problems.push(t && t !== window ? "failed to load " + (t.src || t.outerHTML.slice(0, 80)) : "error: " + e.message);
}, true);
const consoleError = console.error;
console.error = (...a) => { window.__problems.push("console.error: " + a.join(" ")); consoleError(...a); };
window.addEventListener("load", () => {
  const box = el => el.getBoundingClientRect();
  const figures = [...document.querySelectorAll("svg[id]")].map(el => ({id: el.id, width: box(el).width, height: box(el).height,
                                                                        texts: el.querySelectorAll("text").length}));
  const images = [...document.images].map(el => ({src: el.getAttribute("src"), width: box(el).width, height: box(el).height,
                                                  loaded: el.complete && el.naturalWidth > 0}));
  const out = document.createElement("pre");
  out.id = "cifake-probe";
  out.textContent = JSON.stringify({problems: window.__problems, figures, images});
  document.body.appendChild(out);
});
</script>"""
if "<head>" not in page: sys.exit("check-report: the page has no <head>")
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("<head>", "<head>\n" + probe, 1))
PY
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$OUT/chromium-profile" \
        --proxy-server=127.0.0.1:9 --window-size=1200,2400 --virtual-time-budget=10000 --dump-dom "file://$copy" \
        > "$result.dom" 2> "$OUT/chromium-probe.log" || { cat "$OUT/chromium-probe.log" >&2; exit 1; }
    rm -f "$copy"
    python3 - "$result.dom" "$@" <<'PY'
import html, json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
found = re.search(r'<pre id="cifake-probe">(.*?)</pre>', dom, re.S)
if not found: sys.exit("check-report: the probe reported nothing (did the page load?)")
report = json.loads(html.unescape(found.group(1)))
failures = list(report["problems"])
figures = {f["id"]: f for f in report["figures"]}
for wanted in sys.argv[2:]:
    f = figures.get(wanted)
    if f is None: failures.append(f"figure {wanted} is missing")
    elif f["width"] < 100 or f["height"] < 100: failures.append(f"figure {wanted} is {f['width']}x{f['height']} px")
    elif f["texts"] < 3: failures.append(f"figure {wanted} has {f['texts']} text elements")
for image in report["images"]:
    if not image["loaded"] or image["width"] <= 0 or image["height"] <= 0:
        failures.append(f"picture {image['src']} did not load or has no size")
bars = [i for i in figures if i.endswith("-scale")]
if len(bars) != len(report["images"]): failures.append(f"{len(report['images'])} pictures but {len(bars)} colour bars")
if failures: sys.exit("check-report: " + sys.argv[1] + ":\n  " + "\n  ".join(failures))
print(f"check-report: {len(figures)} figures, {len(report['images'])} pictures, no errors")
PY
}
probe "$RUN/report/index.html" "$OUT/report-probe" confusion-matrix roc-curve pr-curve calibration score-histogram class-accuracy \
    step-loss step-accuracy learning-rate throughput epoch-loss epoch-accuracy

SHOT="$OUT/report.png"
rm -f "$SHOT"
# No network: the page must not need it. A fresh profile, so nothing cached helps.
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$OUT/chromium-profile" --proxy-server=127.0.0.1:9 \
    --screenshot="$SHOT" --window-size=1200,2400 "file://$RUN/report/index.html" > "$OUT/chromium.log" 2>&1 \
    || { cat "$OUT/chromium.log" >&2; exit 1; }
[ -s "$SHOT" ] || { echo "check-report: chromium wrote no screenshot" >&2; cat "$OUT/chromium.log" >&2; exit 1; }
# The explanation galleries lie further down: a second screenshot of a copy that shows only them
# (headless Chromium's screenshot does not follow a #fragment).
GALLERY="$OUT/report-gallery.png"
rm -f "$GALLERY"
sed 's|</head>|<style>body > header, body > p, body > section:not(#mistakes):not(#gradcam) { display: none; }</style></head>|' \
    "$RUN/report/index.html" > "$RUN/report/.gallery-only.html"
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$OUT/chromium-profile" --proxy-server=127.0.0.1:9 \
    --screenshot="$GALLERY" --window-size=1200,2400 "file://$RUN/report/.gallery-only.html" > "$OUT/chromium.log" 2>&1 \
    || { cat "$OUT/chromium.log" >&2; exit 1; }
rm -f "$RUN/report/.gallery-only.html"

python3 - "$SHOT" "$GALLERY" <<'PY'
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

def sample(path):
    width, height, channels, rows = read_png(path)
    if (width, height) != (1200, 2400):
        sys.exit(f"check-report: {path}: expected a 1200x2400 screenshot, found {width}x{height}")
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
    share = inked / ((height // 2) * (width // 2))
    print(f"check-report: {path}: {width}x{height}, {100 * share:.1f}% inked, {len(colours)} colours, {vivid} vivid samples")
    return share, colours, vivid

share, colours, _ = sample(sys.argv[1])
if share < 0.08: sys.exit(f"check-report: expected a page with content, found {100 * share:.1f}% non-white")
if len(colours) < 200: sys.exit(f"check-report: expected figures with many colours, found {len(colours)}")
_, _, vivid = sample(sys.argv[2])
if vivid < 3000: sys.exit(f"check-report: expected Grad-CAM heatmaps in the gallery, found {vivid} vivid samples")
PY

# cifake compare --html: the run beside a copy of itself.
rm -rf "$OUT/run-copy"
cp -r "$RUN" "$OUT/run-copy"
"$CIFAKE" compare "$RUN" "$OUT/run-copy" --html "$OUT/compare.html" > /dev/null 2> "$OUT/compare.log" \
    || { cat "$OUT/compare.log" >&2; exit 1; }
probe "$OUT/compare.html" "$OUT/compare-probe" compare-step-loss compare-step-accuracy compare-validation-accuracy \
    compare-validation-loss compare-roc
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$OUT/chromium-profile" --proxy-server=127.0.0.1:9 \
    --screenshot="$OUT/compare.png" --window-size=1200,1800 "file://$OUT/compare.html" > "$OUT/chromium.log" 2>&1 \
    || { cat "$OUT/chromium.log" >&2; exit 1; }
echo "check-report: ok, screenshots $SHOT and $OUT/compare.png"
