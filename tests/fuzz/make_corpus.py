#!/usr/bin/env python3
"""Writes the seed corpus under tests/fuzz/corpus/<target>/ from policies/, the test fixtures and
the reproducers of issue 11. Re-run after adding a fixture; libFuzzer finds the rest."""
import hashlib
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "tests/fuzz/corpus"


def doc(body, name="p"):
    return ("apiVersion: pgpart.io/v1alpha1\nkind: PartitionPolicy\nmetadata:\n  name: " + name +
            "\nspec:\n" + body).encode()


def put(target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


policies = sorted((root / "policies").glob("*.yaml")) + sorted(
    p for p in (root / "tests").rglob("*.yaml") if "prometheus" not in p.parts)
base = "  tables: [t]\n  interval: 1 month\n"
big = "99999999999999999999"
repro = {
    "comma_colon": b",:",
    "comma_colon_doc": doc(base) + b"\n,:\n",
    "hold_overflow": doc("  tables: [t]\n  interval: 1000\n  retention: {keep: 5000}\n"
                         "  holds:\n    - {from: 0, to: " + big + ", reason: a}\n"),
    "start_overflow": doc("  tables: [t]\n  interval: 1000\n  start: " + big + "\n"),
    "interval_overflow": doc("  tables: [t]\n  interval: " + big + "\n"),
    "invalid_utf8": doc(base) + b"  naming: \"{parent}_\xff\xfe{YYYY}\"\n",
    "nul_naming": doc(base + "  naming: \"{parent}_p\0{YYYY}\"\n"),
    "nul_table": doc("  tables: [\"t\0x\"]\n  interval: 1 month\n"),
    "tz_localtime": doc(base + "  timeZone: localtime\n"),
    "duplicate_key": doc(base + "  premake: 3\n  premake: 4\n"),
    "alias_cycle": b"a: &x [*x]\n",
    "deep": b"[" * 40 + b"]" * 40,
}
for p in policies:
    put("fuzz_policy", "seed_" + p.stem, p.read_bytes())
for k, v in repro.items():
    put("fuzz_policy", "repro_" + k, v)

# Snapshots: the fixtures, and broken variants (overlapping bounds, duplicate tables, float
# format_version, an out-of-range now).
snap_text = (root / "tests/report/snapshot.json").read_bytes()
put("fuzz_snapshot", "seed_report_snapshot", snap_text)
snap = json.loads(snap_text)
small = {"format_version": 1, "server_version": "15.8", "database": "app", "now_micros":
         1795000000000000, "history": "not_read", "tables": [{
             "schema": "public", "name": "events", "exists": True, "partitioned": True,
             "strategy": "range", "key_columns": ["id"], "key_type_name": "bigint",
             "key_type": "bigint", "children": [
                 {"schema": "public", "name": "events_p0", "bound": "range", "from": 0, "to": 1000},
                 {"schema": "public", "name": "events_p1000", "bound": "range", "from": 1000,
                  "to": 2000}]}]}
variants = {}
v = json.loads(json.dumps(snap)); v["format_version"] = 1.5; variants["float_format_version"] = v
v = json.loads(json.dumps(snap)); v["format_version"] = 1e300; variants["huge_format_version"] = v
v = json.loads(json.dumps(snap)); v["tables"].append(v["tables"][0]); variants["duplicate_tables"] = v
v = json.loads(json.dumps(snap)); v["now_micros"] = 9223372036854775807; variants["now_max"] = v
variants["small"] = small
v = json.loads(json.dumps(small)); v["tables"][0]["children"][1]["from"] = 500
variants["overlapping_bounds"] = v
v = json.loads(json.dumps(small)); v["tables"][0]["children"][1]["to"] = 9223372036854775807
variants["bound_max"] = v
for k, v in variants.items():
    put("fuzz_snapshot", "repro_" + k if k != "small" else "seed_small", json.dumps(v, indent=2))

# Saved plans: the golden plan and broken variants.
plan_text = (root / "tests/golden/plan.json").read_bytes()
put("fuzz_saved_plan", "seed_golden_plan", plan_text)
plan = json.loads(plan_text)
for k, edit in {
    "float_format_version": lambda j: j.__setitem__("format_version", 1.5),
    "huge_format_version": lambda j: j.__setitem__("format_version", 1e300),
    "nul_database": lambda j: j["database"].__setitem__("name", "a\0b\x1b[31m"),
}.items():
    j = json.loads(json.dumps(plan)); edit(j)
    put("fuzz_saved_plan", "repro_" + k, json.dumps(j, indent=2))
put("fuzz_saved_plan", "repro_truncated", plan_text[: len(plan_text) // 2])
put("fuzz_saved_plan", "repro_invalid_utf8", plan_text.replace(b'"app"', b'"\xff\xfe"', 1))

# Policy -> planner -> renderers: each policy alone, and with each snapshot after "%%".
snaps = {"report": snap_text, "small": json.dumps(small).encode()}
for p in policies:
    put("fuzz_plan_render", "seed_" + p.stem, p.read_bytes())
    for s, text in snaps.items():
        put("fuzz_plan_render", "seed_" + p.stem + "_" + s, p.read_bytes() + b"\n%%\n" + text)
for k, v in repro.items():
    put("fuzz_plan_render", "repro_" + k, v)
put("fuzz_plan_render", "repro_overlapping_bounds",
    (root / "policies/events.yaml").read_bytes() + b"\n%%\n" +
    json.dumps(variants["overlapping_bounds"]).encode())
