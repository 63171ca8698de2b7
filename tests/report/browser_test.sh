#!/bin/bash
# Renders `pgpart report --format html` over a committed snapshot in headless Chromium: the DOM
# (--dump-dom) must hold the summary table, the timelines, their legends and marks; in a copy
# with label_check.js injected, every timeline text must lie inside its SVG's viewBox and no two
# marker labels may overlap, as Chromium measures them (getBBox); and the screenshot's pixels,
# sampled where Chromium drew the bars, must show what the eye should see: the held partition
# hatched (two colours), a due bar in another colour than a kept one, the overdue one red.
# Usage: browser_test.sh PGPART_BINARY. Fails (never skips) when chromium is missing.
set -euo pipefail
pgpart=$1
here=$(cd "$(dirname "$0")" && pwd)
chromium=$(command -v chromium || true)
if [[ -z $chromium ]]; then
  echo "FAIL: chromium not found (apt-get install chromium; see scripts/setup)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$pgpart" report -f "$here/policies.yaml" --catalog "$here/snapshot.json" \
  --at 2026-11-21T12:00:00Z --format html -o "$tmp/report.html"
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --user-data-dir="$tmp/profile" --window-size=1280,3200)
timeout 25 "$chromium" "${flags[@]}" --dump-dom "file://$tmp/report.html" >"$tmp/dom.html" 2>/dev/null
# The report has no scripts (check_report.py insists): the measuring one goes into a copy.
/usr/bin/python3 - "$tmp/report.html" "$here/label_check.js" "$tmp/measured.html" <<'PY'
import sys
page, script = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
assert page.count("</body>") == 1
with open(sys.argv[3], "w", encoding="utf-8") as out:
    out.write(page.replace("</body>", f"<script>\n{script}</script>\n</body>"))
PY
timeout 25 "$chromium" "${flags[@]}" --dump-dom "file://$tmp/measured.html" \
  >"$tmp/measured-dom.html" 2>/dev/null
timeout 25 "$chromium" "${flags[@]}" --screenshot="$tmp/shot.png" "file://$tmp/report.html" \
  >/dev/null 2>&1
/usr/bin/python3 "$here/check_report.py" "$here/snapshot.json" "$tmp/dom.html" "$tmp/shot.png" \
  "$tmp/measured-dom.html"
