"""The generated LogQL: parsed by Grafana's LogQL parser (@grafana/lezer-logql), names only labels
the records carry in Loki, and, evaluated from its parse tree on Loki's view of the records,
matches exactly the same records as the Sigma rule."""
import json
import re

import pytest
import yaml

from conftest import DASHBOARD, ROOT, RULES, parse_queries
from lokiview import loki_name

SERVICE = "slack-integration-logs"
# Labels Loki adds to every OTLP record itself (pkg/loghttp/push/otlp.go, and its level detection).
LOKI_OWN = {"service_name", "severity_text", "severity_number", "observed_timestamp", "detected_level", "trace_id", "span_id", "flags", "scope_name", "scope_version"}
# Grafana replaces its variables before a query reaches Loki.
GRAFANA_VARIABLES = {"$service": SERVICE, "$__interval": "1m", "$__range": "1h"}
# What RE2 (Go's regexp, used by Loki) lacks; Python's re has them, so a pattern with one would be
# evaluated here by rules Loki does not follow.
NOT_RE2 = re.compile(r"\(\?[=!<]|\\[1-9]|\(\?P=|\(\?>|[*+?}]\+")


def allowed_names(loki_records) -> set[str]:
    return {name for r in loki_records.values() for name in r} | LOKI_OWN


def evaluate(tree, labels: dict[str, str]) -> bool:
    """A LogQL label filter on one record, as Loki does: a missing label is "", `=~` and `!~`
    match the whole value (Loki anchors label regexes)."""
    if "unsupported" in tree:
        raise AssertionError(f"cannot evaluate {tree['unsupported']!r}")
    if "args" in tree:
        left, right = (evaluate(a, labels) for a in tree["args"])
        return (left and right) if tree["op"] == "and" else (left or right)
    value, pattern = labels.get(tree["label"], ""), tree["value"]
    if tree["op"] in ("=~", "!~"):
        assert not NOT_RE2.search(pattern), f"{pattern!r} uses syntax RE2 lacks"
        hit = re.fullmatch(pattern, value) is not None
        return hit if tree["op"] == "=~" else not hit
    if tree["op"] in ("=", "=="):
        return value == pattern
    if tree["op"] == "!=":
        return value != pattern
    raise AssertionError(f"operator {tree['op']} not evaluated here")


def matching(parsed: dict, loki_records: dict) -> set[str]:
    (selector,) = parsed["selectors"]
    return {key for key, labels in loki_records.items() if all(evaluate(m, labels) for m in selector + parsed["filters"])}


@pytest.fixture(scope="session")
def parsed_alerts(alerts):
    return parse_queries([{"id": stem, "lang": "logql", "expr": a["expr"]} for stem, a in alerts.items()])


def test_one_alert_per_rule(alerts):
    assert sorted(alerts) == [r.stem for r in RULES]


@pytest.mark.parametrize("stem", [r.stem for r in RULES])
def test_alert_parses_and_names_only_labels_the_records_carry(stem, parsed_alerts, loki_records):
    parsed = parsed_alerts[stem]
    assert parsed["errors"] == []
    assert parsed["stages"] == ["LabelFilter"], "structured metadata needs no parser stage"
    assert parsed["selectors"] == [[{"label": "service_name", "op": "=", "value": SERVICE}]]
    unknown = set(parsed["names"]) - allowed_names(loki_records)
    assert not unknown, f"names no record carries in Loki: {sorted(unknown)}"


@pytest.mark.parametrize("stem", [r.stem for r in RULES])
def test_alert_logql_matches_exactly_the_rules_positives(stem, parsed_alerts, loki_records, expected):
    got = matching(parsed_alerts[stem], loki_records)
    want = expected(stem)
    assert got == want, {"missed": sorted(want - got), "extra": sorted(got - want)}


def test_the_check_sees_a_wrong_name_a_parser_and_a_broken_query(loki_records):
    parsed = parse_queries([
        {"id": "typo", "lang": "logql", "expr": f'{{service_name="{SERVICE}"}} | slack_integration_scope=~`.*"admin".*`'},
        {"id": "parser", "lang": "logql", "expr": f'{{service_name="{SERVICE}"}} | logfmt | slack_integration_scopes=~`x`'},
        {"id": "broken", "lang": "logql", "expr": f'sum(count_over_time({{service_name="{SERVICE}"}} | a=~`x` or [5m]))'},
    ])
    assert "slack_integration_scope" in set(parsed["typo"]["names"]) - allowed_names(loki_records)
    assert parsed["parser"]["stages"] == ["LogfmtParser", "LabelFilter"]
    assert parsed["broken"]["errors"]


def test_a_scope_regex_tells_an_exact_name_from_a_prefix():
    # The stored form of the list, and the two kinds of pattern the pipeline produces.
    exact, prefix = '(?i).*"files:read".*', '(?i).*"admin\\..*'
    tree = lambda p: {"label": "s", "op": "=~", "value": p}
    assert evaluate(tree(exact), {"s": '["chat:write","files:read"]'})
    assert not evaluate(tree(exact), {"s": '["files:write","files:read.all"]'})
    assert evaluate(tree(prefix), {"s": '["admin.users:write"]'})
    assert not evaluate(tree(prefix), {"s": '["admin","superadmin.x"]'})


def test_dashboard_hits_panel_runs_each_alerts_logql(alerts, loki_records):
    panel = next(p for p in json.loads(DASHBOARD.read_text())["panels"] if p["title"] == "Detection rule hits")
    titles = {yaml.safe_load(r.read_text())["title"]: r.stem for r in RULES}
    assert sorted(t["legendFormat"] for t in panel["targets"]) == sorted(titles)
    queries = []
    for t in panel["targets"]:
        expr = t["expr"]
        for var, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(var, value)
        queries.append({"id": t["legendFormat"], "lang": "logql", "expr": expr})
        # The same log query as the alert, on the dashboard's service variable.
        alert_query = re.search(r"count_over_time\((.*) \[10m\]\)\) > 0$", alerts[titles[t["legendFormat"]]]["expr"]).group(1)
        on_variable = alert_query.replace(f'service_name="{SERVICE}"', 'service_name="$service"')
        assert t["expr"] == f"sum(count_over_time({on_variable} [$__interval]))"
    unknown = set()
    for parsed in parse_queries(queries).values():
        assert parsed["errors"] == [] and parsed["stages"] == ["LabelFilter"]
        unknown |= set(parsed["names"]) - allowed_names(loki_records)
    assert not unknown


def test_ops_loki_rule_parses_and_selects_the_receivers_stream():
    doc = yaml.safe_load((ROOT / "detections" / "ops" / "loki-rules.yml").read_text())
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert [r["alert"] for r in rules] == ["SlackIntegrationLogsNoRecords24h"]
    parsed = parse_queries([{"id": "absent", "lang": "logql", "expr": rules[0]["expr"]}])["absent"]
    assert parsed["errors"] == []
    assert parsed["selectors"] == [[{"label": "service_name", "op": "=", "value": SERVICE}]]
    assert rules[0]["expr"].startswith("absent_over_time(") and rules[0]["expr"].endswith("[24h])")
