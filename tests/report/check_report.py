"""Checks the DOM Chromium dumped for the report and its screenshot.

Usage: check_report.py SNAPSHOT DOM PNG MEASURED_DOM. The DOM must have one rect.partition per
range child in the snapshot, one held mark with the hold's reason, one overdue mark, the drop the
snapshot's history says a backup gate blocked (with its message) and no green health badge,
cutoff lines for the two tables with retention, a horizon per table, the default-rows badge, and
escaped names (parsed back verbatim). The PNG must decode (signature, IHDR, IDAT) to a 1280-wide image that is not one flat
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
    parts = [a for tag, a in dom.elements if tag == "rect" and "partition" in classes(a)]
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
    count = lambda tag, cls: sum(1 for t, a in dom.elements if t == tag and cls in classes(a))
    if count("line", "cutoff") != 2:
        fail(f"{count('line', 'cutoff')} line.cutoff, want 2 (metrics, events)")
    if count("line", "horizon") != 3:
        fail(f"{count('line', 'horizon')} line.horizon, want 3")
    if count("g", "default-rows") != 1:
        fail("no g.default-rows badge")
    if count("svg", "timeline") != 3:
        fail("want 3 svg.timeline")
    if count("script", "") or any(t == "script" for t, _ in dom.elements):
        fail("the report has a <script>")
    tables = {a.get("data-table") for t, a in dom.elements if t == "section"}
    if 'app.odd<&>"name' not in tables:
        fail(f"hostile table name not round-tripped: {tables}")
    if any(t == "b" for t, _ in dom.elements):
        fail("a name was injected as markup")


def check_labels(path):
    dom = open(path, encoding="utf-8").read()
    start = dom.rfind('<pre id="label-check">')  # the last: the script names it too
    if start < 0:
        fail("label_check.js did not run (no <pre id=label-check> in the dumped DOM)")
    start += len('<pre id="label-check">')
    text = html.unescape(dom[start:dom.index("</pre>", start)])
    found = json.loads(text)
    # 3 timelines: 5 ticks each, 8 marker labels (cutoff on 2, horizon and now on 3), 1 badge.
    if found["texts"] != 24 or found["labels"] != 8:
        fail(f"label_check.js measured {found['texts']} texts, {found['labels']} marker labels; "
             "want 24 and 8")
    if found["problems"]:
        fail("timeline labels: " + "; ".join(found["problems"]))


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
    if width != 1280 or height < 500:
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
    check_labels(sys.argv[4])


main()
