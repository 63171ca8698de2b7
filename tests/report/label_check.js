// Injected by browser_test.sh into a copy of the report (the report itself has no scripts):
// measures every <text> of each SVG timeline as Chromium laid it out and writes what it found to
// <pre id="label-check"> as JSON, for check_report.py to read from the dumped DOM, with the
// page boxes of the partition bars.
(() => {
  const problems = [];
  let texts = 0;
  let labels = 0;
  const fmt = (b) => [b.x, b.y, b.width, b.height].map((v) => v.toFixed(1)).join(",");
  for (const svg of document.querySelectorAll("svg.timeline")) {
    const view = svg.viewBox.baseVal;
    const marks = [];
    for (const text of svg.querySelectorAll("text")) {
      const box = text.getBBox();
      const name = `${svg.getAttribute("aria-label")}: ${text.textContent}`;
      ++texts;
      if (box.width <= 0) problems.push(`not rendered: ${name}`);
      // Half a pixel of slack for anti-aliasing and rounding.
      if (box.x < view.x - 0.5 || box.y < view.y - 0.5 ||
          box.x + box.width > view.x + view.width + 0.5 ||
          box.y + box.height > view.y + view.height + 0.5) {
        problems.push(`outside the viewBox: ${name} (${fmt(box)})`);
      }
      if (text.classList.contains("mark-label")) marks.push([name, box]);
    }
    labels += marks.length;
    for (let i = 0; i < marks.length; ++i) {
      for (let j = i + 1; j < marks.length; ++j) {
        const [a, p] = marks[i];
        const [b, q] = marks[j];
        if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height &&
            q.y < p.y + p.height) {
          problems.push(`overlap: ${a} (${fmt(p)}) and ${b} (${fmt(q)})`);
        }
      }
    }
  }
  // Where Chromium drew each partition bar and gap, in page pixels (the screenshot's, at scale
  // 1), for check_report.py to sample the screenshot there.
  const rects = [];
  for (const rect of document.querySelectorAll("svg.timeline rect")) {
    const b = rect.getBoundingClientRect();
    rects.push({name: rect.getAttribute("data-partition") || "", cls: rect.getAttribute("class"),
                x: b.x + window.scrollX, y: b.y + window.scrollY, w: b.width, h: b.height});
  }
  const pre = document.createElement("pre");
  pre.id = "label-check";
  pre.textContent = JSON.stringify({texts, labels, problems, rects});
  document.body.appendChild(pre);
})();
