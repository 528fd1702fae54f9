"""The records the rules are evaluated on: one per example and run, produced by the real receiver."""
import yaml

from conftest import EXAMPLES, RULES, RUNS
from lokiview import loki_view


def test_every_example_became_exactly_one_record_per_run(records, examples):
    keys = [r["key"] for r in records]
    assert sorted(keys) == sorted(f"{i}@{run}" for i in examples for run in RUNS)
    assert all(r["event_name"] == "slack.integration.change" and r["body"] for r in records)


def test_the_grid_run_carries_the_team_and_the_workspace_run_does_not(records):
    assert {r.get("slack.team.id") for r in records if r["run"] == "grid"} == {"T0DETECTIONS"}
    assert {r.get("slack.team.id") for r in records if r["run"] == "workspace"} == {None}
    assert {r["run"] for r in records} == set(RUNS)


def test_scopes_are_a_string_array_stored_as_json_text(records):
    by_example = {r["example"]: r for r in records if r["run"] == "workspace"}
    doc = yaml.safe_load((EXAMPLES / "slack_app_added_with_sensitive_scopes.yml").read_text())
    stem = "slack_app_added_with_sensitive_scopes"
    find = lambda kind, scope: next(f"{stem}:{kind}:{i}" for i, e in enumerate(doc[kind]) if e["entry"].get("scope") == scope)
    # Slack's comma-separated scope string, split and trimmed, in Slack's order.
    spaced = by_example[find("positive", "chat:write , files:read")]
    assert spaced["slack.integration.scopes"] == ["chat:write", "files:read"]
    assert loki_view(spaced)["slack_integration_scopes"] == '["chat:write","files:read"]'
    # An empty scope string leaves no attribute at all, so Loki reads it as empty.
    empty = by_example[find("negative", "")]
    assert "slack.integration.scopes" not in empty
    assert "slack_integration_scopes" not in loki_view(empty)


def test_every_rule_has_positives_and_negatives_and_every_also_names_a_rule(examples):
    stems = {r.stem for r in RULES}
    assert {e["stem"] for e in examples.values()} == stems
    for stem in stems:
        kinds = [e["kind"] for e in examples.values() if e["stem"] == stem]
        assert kinds.count("positive") >= 2 and kinds.count("negative") >= 2, stem
    for example_id, e in examples.items():
        assert set(e["also"]) <= stems - {e["stem"]}, example_id
