#!/usr/bin/python3
"""Checks the Grafana dashboard manifests/grafana/pgpart-dashboard.json (issue 6).

Usage: check_dashboard.py <repo root>

- the file is valid JSON with a uid, a title and panels with unique ids;
- templated variables datasource (type datasource, prometheus), policy and table exist, and
  every panel and target uses the ${datasource} variable;
- every panel has at least one target with a non-empty expr, every pgpart_* metric used is one
  the exporter serves, and every served metric is shown somewhere;
- every expr is valid PromQL: the Grafana variables are substituted and the expressions are run
  through `promtool check rules` as recording rules.

Exits 1 listing every violation; a missing promtool or python3-yaml is a failure, not a skip.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("FAIL: python3-yaml is not installed (apt-get install python3-yaml)")
    sys.exit(1)

BASE_METRICS = {
    "pgpart_partitions", "pgpart_future_buffer_periods", "pgpart_default_partition_rows",
    "pgpart_oldest_partition_age_seconds", "pgpart_held_partitions", "pgpart_blocked_steps",
    "pgpart_retention_overdue_partitions", "pgpart_partition_bytes", "pgpart_steps_applied_total",
    "pgpart_reconcile_total", "pgpart_reconcile_duration_seconds",
    "pgpart_last_success_timestamp_seconds",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
METRIC_RE = re.compile(r"\bpgpart_[a-z0-9_]+\b")
GRAFANA_VARS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h",
                "$policy": ".*", "$table": ".*"}


def base_name(metric):
    if metric in BASE_METRICS:
        return metric
    for suffix in HISTOGRAM_SUFFIXES:
        if metric.endswith(suffix) and metric[: -len(suffix)] in BASE_METRICS:
            return metric[: -len(suffix)]
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if shutil.which("promtool") is None:
        print("FAIL: promtool is not installed (apt-get install prometheus)")
        return 1
    path = os.path.join(sys.argv[1], "manifests/grafana/pgpart-dashboard.json")
    try:
        with open(path) as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL: {path}: {e}")
        return 1

    errors = []
    for key in ("uid", "title"):
        if not dash.get(key):
            errors.append(f"dashboard has no {key}")
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        errors.append("no `datasource` variable of type datasource/prometheus")
    for name in ("policy", "table"):
        query = json.dumps(variables.get(name, {}).get("query", ""))
        if name not in variables or "label_values" not in query or name not in query:
            errors.append(f"no `{name}` variable querying label_values(..., {name})")

    panels = dash.get("panels") or []
    if not panels:
        errors.append("dashboard has no panels")
    ids = [p.get("id") for p in panels]
    if len(set(ids)) != len(ids):
        errors.append(f"panel ids are not unique: {ids}")
    used = set()
    exprs = []
    for panel in panels:
        title = panel.get("title") or f"panel {panel.get('id')}"
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"{title}: panel datasource is not ${{datasource}}")
        targets = panel.get("targets") or []
        if not targets:
            errors.append(f"{title}: no targets")
        for target in targets:
            expr = (target.get("expr") or "").strip()
            if not expr:
                errors.append(f"{title}: target {target.get('refId')} has no expr")
                continue
            if target.get("datasource", {}).get("uid") != "${datasource}":
                errors.append(f"{title}: target {target.get('refId')} datasource is not "
                              "${datasource}")
            for metric in METRIC_RE.findall(expr):
                base = base_name(metric)
                if base is None:
                    errors.append(f"{title}: unknown metric {metric}")
                else:
                    used.add(base)
            exprs.append((title, expr))
    for missing in sorted(BASE_METRICS - used):
        errors.append(f"metric {missing} is not shown on any panel")

    rules = []
    for i, (title, expr) in enumerate(exprs):
        for var, value in GRAFANA_VARS.items():
            expr = expr.replace(var, value)
        if "$" in expr:
            errors.append(f"{title}: unknown Grafana variable in {expr}")
        rules.append({"record": f"dashboard:expr_{i}", "expr": expr})
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as tmp:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, tmp)
    try:
        proc = subprocess.run(["promtool", "check", "rules", tmp.name],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            errors.append(f"dashboard expressions are not valid PromQL:\n{proc.stdout}"
                          f"{proc.stderr}")
    finally:
        os.unlink(tmp.name)

    for error in errors:
        print(f"FAIL: {error}")
    if errors:
        return 1
    print(f"OK: {len(panels)} panels, {len(exprs)} expressions, all metrics known and shown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
