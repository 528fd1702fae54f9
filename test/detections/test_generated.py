"""The committed Loki rules, Datadog monitors, dashboard panel and the docs' sensitive-scope table are
what the tools generate now."""
import subprocess
import sys

import pytest

from conftest import ROOT

GENERATED = [
    "detections/generated/loki/slack-integration-logs.rules.yml",
    "detections/generated/datadog/slack-integration-logs.monitors.json",
    "examples/grafana/slack-integration-logs.dashboard.json",
    "examples/grafana/README.md",
    "docs/detections.md",
]


@pytest.fixture(scope="session")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "detections" / "generate.py"), "--out", str(out)], check=True, capture_output=True)
    return out


@pytest.mark.parametrize("rel", GENERATED)
def test_committed_file_equals_a_fresh_conversion(rel, regenerated):
    fresh = (regenerated / rel).read_text()
    committed = (ROOT / rel).read_text()
    assert committed == fresh, f"{rel} differs from a fresh conversion: run `npm run test:detections -- --regenerate` and commit"
