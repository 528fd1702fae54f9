"""The generated Datadog monitors: one per rule, on the receiver's service, naming only attributes
the records carry. (No Datadog here: these queries are regenerated and checked, not run.)"""
import json
import re

import pytest
import yaml

from conftest import DATADOG_MONITORS, RULES

MONITORS = json.loads(DATADOG_MONITORS.read_text())


def test_one_log_monitor_per_rule():
    titles = [yaml.safe_load(r.read_text())["title"] for r in RULES]
    assert [m["name"] for m in MONITORS] == [f"[Slack integration logs] {t}" for t in titles]


@pytest.mark.parametrize("monitor", MONITORS, ids=[m["name"] for m in MONITORS])
def test_monitor_searches_the_service_for_attributes_the_records_carry(monitor, records):
    assert monitor["type"] == "log alert"
    search = re.fullmatch(r'logs\("service:slack-integration-logs \((.*)\)"\)\.index\("\*"\)\.rollup\("count"\)\.last\("10m"\) > 0', monitor["query"]).group(1)
    assert search.count("(") == search.count(")")
    fields = set(re.findall(r"@([A-Za-z0-9_.]+):", search))
    unknown = fields - {k for r in records for k in r}
    assert fields and not unknown, unknown
