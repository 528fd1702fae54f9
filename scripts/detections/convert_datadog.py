"""Converts Sigma rules to Datadog log search queries with pySigma's Datadog backend.

Runs in its own virtual environment (.detections/venv-datadog): pySigma-backend-datadog 0.3.1
needs pySigma 0.11, which cannot share an environment with the Loki backend and sigma-cli 3.
Prints one JSON object: rule file name -> Datadog query. Called by generate.py.

Usage: .detections/venv-datadog/bin/python scripts/detections/convert_datadog.py RULE.yml...
"""
import json
import sys
from pathlib import Path

from sigma.backends.datadog import DatadogBackend
from sigma.collection import SigmaCollection


def main(paths: list[str]) -> None:
    queries = {}
    for path in paths:
        converted = DatadogBackend().convert(SigmaCollection.from_yaml(Path(path).read_text()))
        if len(converted) != 1:
            raise SystemExit(f"{path}: expected one Datadog query, got {len(converted)}")
        queries[Path(path).name] = converted[0]
    json.dump(queries, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
