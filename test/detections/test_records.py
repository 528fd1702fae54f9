"""The records the rules are evaluated on: one per entry and run, produced by the real receiver, and
the inventory snapshots the receiver ends its pass with."""
import pytest
import yaml

from conftest import EXAMPLES, RULES, RUNS
from lokiview import loki_view

SNAPSHOT_EVENT = "slack.integration.inventory"
GRANTED = "slack_app_granted_sensitive_scopes"


def test_every_entry_became_exactly_one_change_record_per_run(records, examples):
    changes = [r for r in records if r["event_name"] != SNAPSHOT_EVENT]
    names = {e["name"] for e in examples.values() if not e["name"].startswith("inventory:")}
    assert sorted(r["key"] for r in changes) == sorted(f"{n}@{run}" for n in names for run in RUNS)
    assert all(r["event_name"] == "slack.integration.change" and r["body"] for r in changes)


def test_every_snapshot_example_names_an_app_and_positives_have_a_snapshot(records, examples):
    snapshots = {r["key"] for r in records if r["event_name"] == SNAPSHOT_EVENT}
    wanted = {e["name"] for e in examples.values() if e["name"].startswith("inventory:")}
    apps = {r.get("slack.integration.app_id") for r in records}
    assert wanted and {n.removeprefix("inventory:") for n in wanted} <= apps
    positives = {e["name"] for e in examples.values() if e["name"].startswith("inventory:") and e["kind"] == "positive"}
    assert {f"{n}@{run}" for n in positives for run in RUNS} <= snapshots


def test_the_grid_run_carries_the_team_and_the_workspace_run_does_not(records):
    assert {r.get("slack.team.id") for r in records if r["run"] == "grid"} == {"T0DETECTIONS"}
    assert {r.get("slack.team.id") for r in records if r["run"] == "workspace"} == {None}
    assert {r["run"] for r in records} == set(RUNS)


def find(stem: str, kind: str, app: str, change_type: str) -> str:
    """The id of the example of `stem` whose own entry is `change_type` of `app`."""
    doc = yaml.safe_load((EXAMPLES / f"{stem}.yml").read_text())
    (i,) = [i for i, e in enumerate(doc[kind]) if e.get("entry", {}).get("app_id") == app and e["entry"]["change_type"] == change_type]
    return f"{stem}:{kind}:{i}"


def test_scopes_are_a_string_array_stored_as_json_text(records):
    by_example = {r["example"]: r for r in records if r["run"] == "workspace"}
    # Slack's comma-separated scope string, split and trimmed, in Slack's order.
    spaced = by_example[find(GRANTED, "positive", "A0SENS00011", "added")]
    assert spaced["slack.integration.scopes"] == ["chat:write", "files:read"]
    assert loki_view(spaced)["slack_integration_scopes"] == '["chat:write","files:read"]'
    # An empty scope string leaves no attribute at all, so Loki reads it as empty.
    empty = by_example[find(GRANTED, "negative", "A0SAFE00005", "added")]
    assert "slack.integration.scopes" not in empty
    assert "slack_integration_scopes" not in loki_view(empty)


# What each entry granted that its app did not hold just before, read off the examples by hand.
SCOPES_ADDED = [
    (GRANTED, "positive", "A0456GITHUB", "expanded", ["channels:history", "users:read.email"]),  # full list
    (GRANTED, "positive", "A0DELTA0001", "expanded", ["im:history"]),  # delta only
    (GRANTED, "positive", "A0REGRANT01", "added", ["files:read"]),  # after a removal
    (GRANTED, "negative", "A0SAME00001", "expanded", []),  # full list, nothing new
    (GRANTED, "negative", "A0HELD00001", "expanded", ["reactions:write"]),
    (GRANTED, "negative", "A0TWICE0001", "added", []),
    ("slack_app_scopes_expanded", "positive", "A0EXPDELT01", "expanded", ["reactions:write"]),  # delta only
    ("slack_app_scopes_expanded", "negative", "A0EXPSAME02", "expanded", []),  # delta only, nothing new
]


@pytest.mark.parametrize("stem, kind, app, change_type, added", SCOPES_ADDED, ids=[f"{c[2]}-{c[3]}" for c in SCOPES_ADDED])
def test_scopes_added_is_what_the_entry_granted_that_the_app_lacked(stem, kind, app, change_type, added, records):
    example = find(stem, kind, app, change_type)
    for run in RUNS:
        (record,) = [r for r in records if r["key"] == f"{example}@{run}"]
        assert sorted(record["slack.integration.scopes.added"]) == added


def test_every_rule_has_positives_and_negatives_and_every_also_names_a_rule(examples):
    stems = {r.stem for r in RULES}
    assert {e["stem"] for e in examples.values()} == stems
    for stem in stems:
        kinds = [e["kind"] for e in examples.values() if e["stem"] == stem]
        assert kinds.count("positive") >= 2 and kinds.count("negative") >= 2, stem
    for example_id, e in examples.items():
        # An example's own entry is its rule's business; an earlier entry may match its rule too.
        allowed = stems if e["kind"] == "before" else stems - {e["stem"]}
        assert set(e["also"]) <= allowed, example_id
