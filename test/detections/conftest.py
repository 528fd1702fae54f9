"""Fixtures for the detection tests (run by `npm run test:detections`, in .detections/venv-loki).

`records` are what the real receiver produced from every rule's example entries (see
scripts/detections/records.mjs). `expected(stem)` is the set of records a rule must match, read
from the example files alone.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from lokiview import loki_view, stored_table

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "detections" / "rules").glob("*.yml"))
EXAMPLES = ROOT / "detections" / "examples"
LOKI_RULES = ROOT / "detections" / "generated" / "loki" / "slack-integration-logs.rules.yml"
DATADOG_MONITORS = ROOT / "detections" / "generated" / "datadog" / "slack-integration-logs.monitors.json"
DASHBOARD = ROOT / "examples" / "grafana" / "slack-integration-logs.dashboard.json"
RUNS = ("workspace", "grid")


def node(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(["node", *args], cwd=ROOT, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"node {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def parse_queries(queries: list[dict]) -> dict[str, dict]:
    """id -> what Grafana's LogQL / Prometheus's PromQL parser made of the query."""
    out = json.loads(node("scripts/detections/parse-queries.mjs", stdin=json.dumps(queries)))
    return {r["id"]: r for r in out}


@pytest.fixture(scope="session")
def examples() -> dict[str, dict]:
    """`<rule stem>:<positive|negative>:<i>` (and `...:before:<j>` for an example's earlier entries)
    -> {stem, kind, why, also, name}: `name` is the record's, the id itself for an entry,
    `inventory:<app_id>` for a `snapshot_of`."""
    out = {}
    for path in sorted(EXAMPLES.glob("*.yml")):
        doc = yaml.safe_load(path.read_text())
        for kind in ("positive", "negative"):
            for i, example in enumerate(doc.get(kind) or []):
                eid = f"{path.stem}:{kind}:{i}"
                for j, before in enumerate(example.get("before") or []):
                    why = f"earlier entry {j} of: {example['why']}"
                    out[f"{eid}:before:{j}"] = {"stem": path.stem, "kind": "before", "why": why, "also": before.get("also", []), "name": f"{eid}:before:{j}"}
                name = f"inventory:{example['snapshot_of']}" if "snapshot_of" in example else eid
                out[eid] = {"stem": path.stem, "kind": kind, "why": example["why"], "also": example.get("also", []), "name": name}
    return out


@pytest.fixture(scope="session")
def expected(examples):
    """The record keys a rule must match: its own positives, and entries that name it in `also`."""

    def keys(stem: str) -> set[str]:
        names = {e["name"] for e in examples.values() if (e["stem"] == stem and e["kind"] == "positive") or stem in e["also"]}
        return {f"{n}@{run}" for n in names for run in RUNS}

    return keys


@pytest.fixture(scope="session")
def records(tmp_path_factory) -> list[dict]:
    if not (ROOT / "dist" / "cli.js").exists():
        pytest.fail("dist/cli.js is missing: run `npm run build` (npm run test:detections does)")
    out = tmp_path_factory.mktemp("records") / "records.jsonl"
    node("scripts/detections/records.mjs", str(out))
    keep = os.environ.get("DETECTIONS_RECORDS")
    if keep:  # for a person who wants to look at them
        Path(keep).write_text(out.read_text())
    return [json.loads(line) for line in out.read_text().splitlines()]


@pytest.fixture(scope="session")
def loki_records(records) -> dict[str, dict[str, str]]:
    """key -> the record as Loki stores it: label name -> string."""
    return {r["key"]: loki_view(r) for r in records}


@pytest.fixture(scope="session")
def logs_table(records):
    return stored_table(records)


@pytest.fixture(scope="session")
def ruler() -> dict:
    return yaml.safe_load(LOKI_RULES.read_text())


@pytest.fixture(scope="session")
def alerts(ruler) -> dict[str, dict]:
    """sigma rule stem -> generated Loki ruler alert."""
    return {a["labels"]["sigma_rule"]: a for g in ruler["groups"] for a in g["rules"]}
