""""Apps with access now": the Grafana table panel and the Datadog dashboard on the receiver's
inventory snapshots, checked on the snapshots the real receiver produced."""
import json
import re

import pytest

from conftest import DASHBOARD, ROOT, parse_queries
from test_logql import GRAFANA_VARIABLES, SERVICE, matching

SNAPSHOT_EVENT = "slack.integration.inventory"
PANEL = next(p for p in json.loads(DASHBOARD.read_text())["panels"] if p["title"] == "Apps with access now")
DATADOG = json.loads((ROOT / "examples" / "datadog" / "apps-with-access-now.dashboard.json").read_text())
# The columns that name one app: Grid team, then app_id, or service_id with its service_type.
KEY = ("slack_team_id", "slack_integration_app_id", "slack_integration_service_id", "slack_integration_service_type")


def snapshots(records) -> list[dict]:
    found = [r for r in records if r["event_name"] == SNAPSHOT_EVENT]
    assert found, "the pass ends with the inventory snapshots"
    return found


def group_by(panel: dict) -> dict:
    (step,) = [t for t in panel["transformations"] if t["id"] == "groupBy"]
    return step["options"]["fields"]


@pytest.fixture(scope="module")
def parsed_panel() -> dict:
    (target,) = PANEL["targets"]
    expr = target["expr"]
    for var, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(var, value)
    return parse_queries([{"id": "panel", "lang": "logql", "expr": expr}])["panel"]


def test_grafana_panel_is_a_table_of_the_snapshots_without_a_parser(parsed_panel):
    assert PANEL["type"] == "table"
    assert parsed_panel["errors"] == [] and parsed_panel["stages"] == ["LabelFilter"]
    assert parsed_panel["selectors"] == [[{"label": "service_name", "op": "=", "value": SERVICE}]]
    assert parsed_panel["filters"] == [{"label": "event_name", "op": "=", "value": SNAPSHOT_EVENT}]
    # Grafana's transformations: labels to columns, oldest first, then the last value per app.
    assert [t["id"] for t in PANEL["transformations"]] == ["extractFields", "sortBy", "groupBy", "convertFieldType", "organize"]
    assert [k for k, v in group_by(PANEL).items() if v["operation"] == "groupby"] == list(KEY)
    assert all(v["aggregations"] == ["last"] for v in group_by(PANEL).values() if v["operation"] == "aggregate")


def test_grafana_panel_selects_exactly_the_snapshots(parsed_panel, loki_records, records):
    want = {r["key"] for r in snapshots(records)}
    assert matching(parsed_panel, loki_records) == want


def test_grafana_panel_names_only_labels_the_snapshots_carry(records, loki_records):
    fields = set(group_by(PANEL)) - {"Time"}
    renamed = {k.removesuffix(" (last)") for k in next(t for t in PANEL["transformations"] if t["id"] == "organize")["options"]["renameByName"]}
    assert renamed == fields | {"Time"}, "every column the table shows is renamed"
    carried = {name for r in snapshots(records) for name in loki_records[r["key"]]}
    # slack_team_id only on Enterprise Grid; an app has app_id, an integration service_id.
    assert fields <= carried, fields - carried
    assert {"slack_integration_status", "slack_integration_scopes_sensitive", "slack_integration_scopes"} <= fields


def test_grafana_panel_shows_the_unix_second_dates_as_times(records):
    (step,) = [t for t in PANEL["transformations"] if t["id"] == "convertFieldType"]
    converted = {c["targetField"].removesuffix(" (last)") for c in step["options"]["conversions"] if c["dateFormat"] == "X"}
    assert converted and converted <= set(group_by(PANEL))
    # Unix seconds, as slack.integration.date is: a number of ten digits in the snapshots.
    for r in snapshots(records):
        for name in converted:
            attribute = {"slack_integration_added_at": "slack.integration.added_at", "slack_integration_last_change_date": "slack.integration.last_change.date"}[name]
            if attribute in r:
                assert re.fullmatch(r"\d{10}", str(r[attribute])), (r["key"], attribute, r[attribute])


def test_grafana_panel_gives_one_row_per_app_with_its_newest_snapshot(records, loki_records):
    rows: dict[tuple, dict] = {}
    for r in sorted(snapshots(records), key=lambda r: int(r["time_unix_nano"])):
        labels = loki_records[r["key"]]
        rows[tuple(labels.get(k, "") for k in KEY)] = labels
    apps = {(r.get("slack.team.id"), r.get("slack.integration.app_id"), r.get("slack.integration.service_id")) for r in snapshots(records)}
    assert len(rows) == len(apps)
    # The example app A0ADMIN0003 was added, then disabled: its row says so.
    assert rows[("", "A0ADMIN0003", "", "")]["slack_integration_status"] == "disabled"


def test_grafana_panel_paints_sensitive_scopes_red_and_leaves_none_plain():
    (override,) = [o for o in PANEL["fieldConfig"]["overrides"] if o["matcher"]["options"] == "sensitive scopes"]
    mappings = next(p["value"] for p in override["properties"] if p["id"] == "mappings")
    (regex,) = [m["options"] for m in mappings if m["type"] == "regex"]
    (value,) = [m["options"] for m in mappings if m["type"] == "value"]
    assert regex["result"]["color"] == "red" and value["[]"]["color"] == "transparent"
    assert re.search(regex["pattern"], '["admin","files:read"]') and not re.search(regex["pattern"], "[]")


def test_grafana_panel_window_is_the_default_snapshot_interval_plus_an_hour():
    row = re.search(r"env: \['SLACK_INVENTORY_INTERVAL'\][^}]*default: '(\d+)h'", (ROOT / "src" / "config" / "settings.ts").read_text())
    assert PANEL["timeFrom"] == f"{int(row.group(1)) + 1}h"


@pytest.mark.parametrize("widget", DATADOG["widgets"], ids=[w["definition"]["title"] for w in DATADOG["widgets"]])
def test_datadog_widget_lists_snapshots_with_columns_they_carry(widget, records):
    definition = widget["definition"]
    assert definition["type"] == "list_stream" and definition["time"] == {"live_span": "1d"}
    (request,) = definition["requests"]
    query = request["query"]
    assert query["data_source"] == "logs_stream" and request["response_format"] == "event_list"
    assert query["query_string"].startswith(f"service:{SERVICE} @slack.integration.status:")
    fields = set(re.findall(r"@([A-Za-z0-9_.]+):", query["query_string"])) | {c["field"].removeprefix("@") for c in request["columns"] if c["field"] != "timestamp"}
    carried = {k for r in snapshots(records) for k in r}
    assert fields <= carried, fields - carried


def test_only_snapshots_carry_a_status(records):
    snapshots(records)
    assert {r["event_name"] for r in records if "slack.integration.status" in r} == {SNAPSHOT_EVENT}
    assert all("slack.integration.status" in r for r in records if r["event_name"] == SNAPSHOT_EVENT)
