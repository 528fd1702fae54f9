"""detections/sensitive-scopes.json is the one sensitive-scope list: the Sigma rules' scope lists
are it (every rule naming a sensitive scope lists all of them, or all of one class), the
receiver's list is it (test/sensitive-scopes.test.ts), and docs/detections.md's table is generated
from it (test_generated.py)."""
import json

import pytest
import yaml

from conftest import ROOT, RULES

SCOPES = json.loads((ROOT / "detections" / "sensitive-scopes.json").read_text())["scopes"]
LIST_FIELDS = ("slack.integration.scopes", "slack.integration.scopes.added")
# Scopes a rule names that are not on the list, on purpose.
NOT_SENSITIVE = {"incoming-webhook"}


def lists_of(rule: dict) -> dict[str, tuple[set[str], set[str]]]:
    """`<selection prefix>` -> (exact names, prefixes) the rule's selections named `<prefix>_exact`
    and `<prefix>_prefix` give on a scope-list field."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for name, selection in rule["detection"].items():
        if name == "condition" or not isinstance(selection, dict):
            continue
        for field, values in selection.items():
            base, _, modifier = field.partition("|")
            if base not in LIST_FIELDS:
                continue
            values = {values} if isinstance(values, str) else set(values)
            if modifier == "" and values <= NOT_SENSITIVE | {"*"}:
                continue
            group, _, kind = name.rpartition("_")
            assert kind in ("exact", "prefix") and modifier == ("startswith" if kind == "prefix" else ""), f"{name}: {field}"
            exact, prefixes = out.setdefault(group, (set(), set()))
            (exact if kind == "exact" else prefixes).update(values)
    return out


def test_the_file_has_each_scope_once_with_slacks_description():
    names = [s["scope"] for s in SCOPES]
    assert len(names) == len(set(names)) >= 10
    assert all(s["match"] in ("exact", "prefix") and s["class"] in ("admin", "read", "impersonate") and s["description"] for s in SCOPES)


@pytest.mark.parametrize("rule", RULES, ids=[r.stem for r in RULES])
def test_a_rules_scope_lists_are_the_file_or_one_class_of_it(rule):
    for group, (exact, prefixes) in lists_of(yaml.safe_load(rule.read_text())).items():
        classes = {s["class"] for s in SCOPES if s["scope"] in exact | prefixes}
        # `sensitive_*` is the whole list; `<class>_*` is one class of it.
        want = SCOPES if group == "sensitive" else [s for s in SCOPES if s["class"] == group]
        assert group == "sensitive" or classes == {group}, f"{rule.stem}: {group}_* names scopes of {classes}"
        assert exact == {s["scope"] for s in want if s["match"] == "exact"}, f"{rule.stem}: {group}_exact"
        assert prefixes == {s["scope"] for s in want if s["match"] == "prefix"}, f"{rule.stem}: {group}_prefix"


def test_the_rules_that_name_scopes_are_checked():
    checked = {r.stem for r in RULES if lists_of(yaml.safe_load(r.read_text()))}
    assert checked == {"slack_app_granted_sensitive_scopes", "slack_app_scopes_expanded", "slack_app_holding_admin_scope"}
