#!/usr/bin/python3
"""Checks the pgpart alert rules in manifests/prometheus/ (issue 6, "Alert rules").

Usage: check_rules.py <repo root>

- manifests/prometheus/pgpart-rules.yaml passes `promtool check rules`;
- manifests/prometheus/prometheusrule.yaml is a monitoring.coreos.com/v1 PrometheusRule whose
  spec.groups equal the plain file's groups exactly, and the extracted groups pass promtool too;
- every alert has a `for`, a severity label (warning|critical) and summary/description
  annotations that use $labels;
- every pgpart_* metric used exists (the names the exporter serves);
- tests/prometheus/rules_test.yaml has, for every alert, a case where it fires and one where it
  does not (the firing itself is checked by `promtool test rules`, a separate ctest test).

Exits 1 listing every violation; a missing promtool or python3-yaml is a failure, not a skip.
"""

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

# The metric names the exporter and operator serve (see issue 6); histogram series included.
KNOWN_METRICS = {
    "pgpart_partitions", "pgpart_future_buffer_periods", "pgpart_default_partition_rows",
    "pgpart_oldest_partition_age_seconds", "pgpart_held_partitions", "pgpart_blocked_steps",
    "pgpart_retention_overdue_partitions", "pgpart_partition_bytes", "pgpart_steps_applied_total",
    "pgpart_detached_tables", "pgpart_detached_bytes",
    "pgpart_reconcile_total", "pgpart_reconcile_duration_seconds_bucket",
    "pgpart_reconcile_duration_seconds_sum", "pgpart_reconcile_duration_seconds_count",
    "pgpart_last_success_timestamp_seconds", "pgpart_last_apply_timestamp_seconds",
    "pgpart_last_apply_success",
}
EXPECTED_ALERTS = {
    "PgpartFutureBufferLow", "PgpartRowsInDefault", "PgpartRetentionBlocked",
    "PgpartRetentionOverdue", "PgpartReconcileFailing", "PgpartReconcileStale",
    "PgpartMaintenanceNotRun", "PgpartApplyNotRun", "PgpartApplyFailed",
}
METRIC_RE = re.compile(r"\bpgpart_[a-z0-9_]+\b")


def promtool(errors, *args):
    proc = subprocess.run(["promtool", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        errors.append(f"promtool {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")


def check_rules(errors, groups):
    alerts = set()
    records = set()
    for group in groups:
        for rule in group.get("rules", []):
            expr = str(rule.get("expr", ""))
            for metric in METRIC_RE.findall(expr):
                if metric not in KNOWN_METRICS:
                    errors.append(f"{rule.get('alert') or rule.get('record')}: unknown metric "
                                  f"{metric}")
            if "record" in rule:
                records.add(rule["record"])
                continue
            name = rule.get("alert")
            alerts.add(name)
            if not rule.get("for"):
                errors.append(f"{name}: no `for`")
            severity = rule.get("labels", {}).get("severity")
            if severity not in ("warning", "critical"):
                errors.append(f"{name}: severity label is {severity!r}")
            annotations = rule.get("annotations", {})
            for key in ("summary", "description"):
                if "$labels." not in annotations.get(key, ""):
                    errors.append(f"{name}: annotation {key} missing or without $labels")
    if alerts != EXPECTED_ALERTS:
        errors.append(f"alerts {sorted(alerts)} != expected {sorted(EXPECTED_ALERTS)}")
    return alerts


def check_unit_tests(errors, alerts, test_file):
    with open(test_file) as f:
        tests = yaml.safe_load(f)
    fires, silent = set(), set()
    for case in tests.get("tests", []):
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else silent).add(check.get("alertname"))
    for name in sorted(alerts):
        if name not in fires:
            errors.append(f"{test_file}: no case where {name} fires")
        if name not in silent:
            errors.append(f"{test_file}: no case where {name} does not fire")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = sys.argv[1]
    if shutil.which("promtool") is None:
        print("FAIL: promtool is not installed (apt-get install prometheus)")
        return 1
    errors = []
    plain_path = os.path.join(root, "manifests/prometheus/pgpart-rules.yaml")
    crd_path = os.path.join(root, "manifests/prometheus/prometheusrule.yaml")
    with open(plain_path) as f:
        plain = yaml.safe_load(f)
    with open(crd_path) as f:
        wrapped = yaml.safe_load(f)

    promtool(errors, "check", "rules", plain_path)
    if wrapped.get("apiVersion") != "monitoring.coreos.com/v1":
        errors.append(f"{crd_path}: apiVersion is {wrapped.get('apiVersion')!r}")
    if wrapped.get("kind") != "PrometheusRule":
        errors.append(f"{crd_path}: kind is {wrapped.get('kind')!r}")
    if not wrapped.get("metadata", {}).get("name"):
        errors.append(f"{crd_path}: no metadata.name")
    spec_groups = (wrapped.get("spec") or {}).get("groups")
    if spec_groups != plain.get("groups"):
        errors.append(f"{crd_path}: spec.groups differ from the groups of {plain_path}")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as tmp:
        yaml.safe_dump({"groups": spec_groups}, tmp)
    try:
        promtool(errors, "check", "rules", tmp.name)
    finally:
        os.unlink(tmp.name)

    alerts = check_rules(errors, plain.get("groups") or [])
    check_unit_tests(errors, alerts, os.path.join(root, "tests/prometheus/rules_test.yaml"))

    for error in errors:
        print(f"FAIL: {error}")
    if errors:
        return 1
    print(f"OK: {len(alerts)} alerts, PrometheusRule in sync, promtool clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
