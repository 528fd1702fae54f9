"""The generated Datadog monitors: one per rule, on the receiver's service, naming only attributes
the records carry. (No Datadog here: these queries are regenerated and checked, not run.)"""
import json
import re

import yaml

from conftest import DATADOG_MONITORS, RULES


def test_one_log_monitor_per_rule(records):
    monitors = json.loads(DATADOG_MONITORS.read_text())
    titles = [yaml.safe_load(r.read_text())["title"] for r in RULES]
    assert [m["name"] for m in monitors] == [f"[Slack integration logs] {t}" for t in titles]
    attributes = {k for r in records for k in r}
    for m in monitors:
        assert m["type"] == "log alert"
        search = re.fullmatch(r'logs\("service:slack-integration-logs \((.*)\)"\)\.index\("\*"\)\.rollup\("count"\)\.last\("10m"\) > 0', m["query"]).group(1)
        assert search.count("(") == search.count(")")
        fields = set(re.findall(r"@([A-Za-z0-9_.]+):", search))
        assert fields and fields <= attributes, fields - attributes
