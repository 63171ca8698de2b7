"""Checks the DOM Chromium dumped for the report and its screenshot.

Usage: check_report.py SNAPSHOT DOM PNG MEASURED_DOM. The DOM must have the summary table first (a row
per table linking to its card), one rect.partition per range child in the snapshot, one held mark
with the hold's reason, one overdue and a due mark, the drop the snapshot's history says a backup
gate blocked (with its message) and no green health badge, cutoff lines for the two tables with
retention, a horizon per table, the default partition's label, a legend per timeline, and escaped
names (parsed back verbatim). The screenshot's pixels where the bars are: the held bar hatched in
two colours, the due bar unlike a kept one, the overdue bar red. The PNG must decode (signature, IHDR, IDAT) to a 1280-wide image that is not one flat
colour. MEASURED_DOM is the DOM of a copy with label_check.js run in it: its <pre id=label-check>
must report every timeline text measured and no text outside its viewBox or overlapping label.
"""
import html
import html.parser
import json
import struct
import sys
import zlib


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []  # (tag, attrs dict)
        self.titles = []
        self.items = {}  # class of a <ul> -> the texts of its <li>s
        self._in_title = False
        self._list = None
        self._item = None

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_title = tag == "title"
        if tag == "ul":
            self._list = dict(attrs).get("class")
        elif tag == "li" and self._list:
            self._item = ""

    def handle_endtag(self, tag):
        self._in_title = False
        if tag == "li" and self._item is not None:
            self.items.setdefault(self._list, []).append(self._item)
            self._item = None
        elif tag == "ul":
            self._list = None

    def handle_data(self, data):
        if self._in_title:
            self.titles.append(data)
        if self._item is not None:
            self._item += data


def classes(attrs):
    return set((attrs.get("class") or "").split())


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check_dom(snapshot, path):
    dom = Dom()
    dom.feed(open(path, encoding="utf-8").read())
    children = [c for t in snapshot["tables"] for c in t["children"] if c["bound"] == "range"]
    # (The legends' swatches share the classes but name no partition.)
    parts = [a for tag, a in dom.elements
             if tag == "rect" and "partition" in classes(a) and "data-partition" in a]
    if len(parts) != len(children):
        fail(f"{len(parts)} rect.partition, want {len(children)}")
    names = {a.get("data-partition") for a in parts}
    for c in children:
        if c["name"] not in names:
            fail(f"no rect.partition[data-partition={c['name']!r}]")
    held = [a for a in parts if "held" in classes(a)]
    if [a["data-partition"] for a in held] != ["metrics_y2024m09"]:
        fail(f"held marks {held}")
    # The drop of metrics_y2024m10 is past retention by 20 days and the last apply's backup gate
    # blocked it (the snapshot's pgpart.history): marked, listed with the gate's message, and no
    # badge of that table or of the page is green.
    overdue = [a["data-partition"] for a in parts if "overdue" in classes(a)]
    if overdue != ["metrics_y2024m10"]:
        fail(f"overdue marks {overdue}, want ['metrics_y2024m10']")
    blocked = [t for t in dom.items.get("blocked", []) if t.startswith("drop metrics_y2024m10")]
    want = ('drop metrics_y2024m10: backup gate: <no backup> & "2024-11" '
            "(apply at 2026-11-19T04:00:00Z: blocked)")
    if blocked != [want]:
        fail(f"blocked items {dom.items.get('blocked')}, want [{want!r}]")
    badges = [a for t, a in dom.elements if t == "span" and "health" in classes(a)]
    if any("health-ok" in classes(a) for a in badges):
        fail("a health badge is green although every table has a problem")
    overall = [a for a in badges if a.get("id") == "overall-health"]
    if len(overall) != 1 or "health-warning" not in classes(overall[0]):
        fail(f"overall health badge {overall}, want health-warning")
    if not any('Audit <A&B> "2026"' in t for t in dom.titles):
        fail("the hold's reason is not in a <title>")
    # Lines and marks of the timelines (the legends' swatches carry "swatch").
    count = lambda tag, cls: sum(1 for t, a in dom.elements
                                 if t == tag and cls in classes(a) and "swatch" not in classes(a))
    if count("line", "cutoff") != 2:
        fail(f"{count('line', 'cutoff')} line.cutoff, want 2 (metrics, events)")
    if count("line", "horizon") != 3:
        fail(f"{count('line', 'horizon')} line.horizon, want 3")
    if count("text", "default-label") != 1:
        fail("no text.default-label (the default partition's rows)")
    if count("svg", "timeline") != 3:
        fail("want 3 svg.timeline")
    if count("div", "legend") != 3:
        fail(f"{count('div', 'legend')} legends, want one per timeline (3)")
    # The overview first: one row per table linking to its card, with its state and problems.
    rows = [a for t, a in dom.elements if t == "tr" and a.get("data-table")]
    if [a["data-table"] for a in rows] != ["public.events", "public.metrics", 'app.odd<&>"name']:
        fail(f"summary rows {rows}")
    links = [a.get("href") for t, a in dom.elements if t == "a"]
    ids = {a.get("id") for t, a in dom.elements if t == "section"}
    if links[:3] != ["#table-1", "#table-2", "#table-3"] or not {"table-1", "table-2", "table-3"} <= ids:
        fail(f"summary links {links} do not reach the cards {ids}")
    first_section = next(i for i, (t, a) in enumerate(dom.elements) if t == "section")
    first_summary = next(i for i, (t, a) in enumerate(dom.elements)
                         if t == "table" and "summary" in classes(a))
    if first_summary > first_section:
        fail("the summary table comes after the cards")
    due = [a["data-partition"] for a in parts if "due" in classes(a)]
    if "events_p0" not in due:
        fail(f"due marks {due}: events_p0 ends at 1000, before the cutoff 1500")
    if count("script", "") or any(t == "script" for t, _ in dom.elements):
        fail("the report has a <script>")
    tables = {a.get("data-table") for t, a in dom.elements if t == "section"}
    if 'app.odd<&>"name' not in tables:
        fail(f"hostile table name not round-tripped: {tables}")
    if any(t == "b" for t, _ in dom.elements):
        fail("a name was injected as markup")


def measured(path):
    dom = open(path, encoding="utf-8").read()
    start = dom.rfind('<pre id="label-check">')  # the last: the script names it too
    if start < 0:
        fail("label_check.js did not run (no <pre id=label-check> in the dumped DOM)")
    start += len('<pre id="label-check">')
    return json.loads(html.unescape(dom[start:dom.index("</pre>", start)]))


def check_labels(found):
    # 3 timelines: 8 marker labels (cutoff on 2, horizon and now on 3), the ticks, 1 default label.
    if found["texts"] < 15 or found["labels"] != 8:
        fail(f"label_check.js measured {found['texts']} texts, {found['labels']} marker labels; "
             "want at least 15 and 8")
    if found["problems"]:
        fail("timeline labels: " + "; ".join(found["problems"]))


def check_pixels(png, found):
    """What the eye sees, sampled from the screenshot where Chromium drew each bar."""
    from PIL import Image  # python3-pil (scripts/setup); missing is a failure, not a skip

    image = Image.open(png).convert("RGB")

    def inside(name):
        boxes = [r for r in found["rects"] if r["name"] == name]
        if len(boxes) != 1:
            fail(f"{len(boxes)} bars named {name} measured")
        r = boxes[0]
        # The interior, away from the stroke.
        x0, y0 = int(r["x"]) + 3, int(r["y"]) + 3
        x1, y1 = int(r["x"] + r["w"]) - 3, int(r["y"] + r["h"]) - 3
        if x1 <= x0 or y1 <= y0 or y1 > image.height:
            fail(f"bar {name} too small or off the screenshot: {r}")
        return [image.getpixel((x, y)) for x in range(x0, x1) for y in range(y0, y1)]

    def near(p, rgb, tolerance=40):
        return sum(abs(a - b) for a, b in zip(p, rgb)) <= tolerance

    def share(pixels, rgb):
        return sum(1 for p in pixels if near(p, rgb)) / len(pixels)

    def dominant(pixels):
        counts = {}
        for p in pixels:
            counts[p] = counts.get(p, 0) + 1
        return max(counts, key=counts.get)

    kept_blue, yellow, brown = (0x4A, 0x90, 0xD9), (0xF4, 0xC5, 0x42), (0x8A, 0x5A, 0x00)
    held = inside("metrics_y2024m09")
    if share(held, yellow) < 0.15 or share(held, brown) < 0.15:
        fail(f"the held bar is not hatched: {share(held, yellow):.2f} yellow, "
             f"{share(held, brown):.2f} brown, {share(held, kept_blue):.2f} plain blue")
    kept = inside("events_p3000")
    if share(kept, kept_blue) < 0.9:
        fail(f"a kept bar is not plain blue: dominant {dominant(kept)}")
    due = inside("events_p0")
    if sum(abs(a - b) for a, b in zip(dominant(due), dominant(kept))) < 100:
        fail(f"the due bar {dominant(due)} looks like a kept one {dominant(kept)}")
    overdue = inside("metrics_y2024m10")
    if share(overdue, (0xCF, 0x22, 0x2E)) < 0.5:
        fail(f"the overdue bar is not red: dominant {dominant(overdue)}")
    print(f"ok: held bar {share(held, yellow):.2f} yellow + {share(held, brown):.2f} brown; "
          f"due {dominant(due)} vs kept {dominant(kept)}; overdue {dominant(overdue)}")


def check_png(path):
    data = open(path, "rb").read()
    if len(data) < 10_000 or data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"screenshot is not a PNG or too small ({len(data)} bytes)")
    pos, idat, width, height = 8, b"", 0, 0
    bit_depth = color = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, bit_depth, color = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if width != 1280 or height < 2500:
        fail(f"screenshot is {width}x{height}")
    raw = zlib.decompress(idat)
    channels = {2: 3, 6: 4}.get(color, 1) * max(1, bit_depth // 8)
    stride = width * channels + 1
    # Filter bytes aside, a flat image's filtered scanlines are nearly all zeros; count the
    # distinct values and the non-zero share of the pixel bytes.
    pixels = bytearray()
    for y in range(0, height, 7):
        pixels += raw[y * stride + 1:(y + 1) * stride]
    distinct = len(set(pixels))
    nonzero = sum(1 for b in pixels if b) / max(1, len(pixels))
    if distinct < 20 or nonzero < 0.005:
        fail(f"screenshot looks blank (distinct={distinct}, nonzero={nonzero:.4f})")
    print(f"ok: {width}x{height}, {len(data)} bytes, {distinct} distinct byte values")


def main():
    snapshot = json.load(open(sys.argv[1]))
    check_dom(snapshot, sys.argv[2])
    check_png(sys.argv[3])
    found = measured(sys.argv[4])
    check_labels(found)
    check_pixels(sys.argv[3], found)


main()
