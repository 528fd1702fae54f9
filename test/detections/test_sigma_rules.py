"""Every Sigma rule, evaluated by pySigma's DuckDB backend on the records the receiver produced,
matches exactly its positives (and the entries that name it in `also`), in both runs."""
from pathlib import Path

import duckdb
import pytest
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline
from sigma_backend_duckdb.backend import DuckDBBackend

from conftest import ROOT, RULES
from lokiview import stored_table

PIPELINE = ROOT / "detections" / "pipelines" / "stored-view.yml"


def sql_of(rule_text: str) -> str:
    pipeline = ProcessingPipeline.from_yaml(PIPELINE.read_text())
    queries = DuckDBBackend(processing_pipeline=pipeline).convert(SigmaCollection.from_yaml(rule_text))
    assert len(queries) == 1
    return queries[0]


def matched(con, sql: str) -> set[str]:
    return {row[0] for row in con.execute(f"SELECT key FROM ({sql})").fetchall()}


@pytest.mark.parametrize("rule", RULES, ids=[r.stem for r in RULES])
def test_rule_matches_exactly_its_positives(rule: Path, logs_table, expected, examples):
    got = matched(logs_table, sql_of(rule.read_text()))
    want = expected(rule.stem)
    why = {e["name"]: e["why"] for e in examples.values()}
    describe = lambda keys: sorted(f"{k} ({why.get(k.split('@')[0], 'no example names it')})" for k in keys)
    assert not want - got, f"positives not matched: {describe(want - got)}"
    assert not got - want, f"matched but not positives: {describe(got - want)}"
    assert want  # not vacuous


SCOPE_RULE = """
title: t
logsource: {product: slack, service: integration_logs}
detection:
  exact: {slack.integration.scopes: files:read}
  prefix: {slack.integration.scopes|startswith: admin.}
  condition: %s
"""


@pytest.mark.parametrize(
    "condition, scopes, hit",
    [
        ("exact", ["files:read"], True),
        ("exact", ["chat:write", "files:read"], True),
        ("exact", ["files:write"], False),
        ("exact", ["files:read.all"], False),  # shares the name as a prefix
        ("exact", ["xfiles:read"], False),  # shares the name as a suffix
        ("exact", [], False),
        ("prefix", ["admin.users:write"], True),
        ("prefix", ["chat:write", "admin.apps:read"], True),
        ("prefix", ["admin"], False),
        ("prefix", ["superadmin.x"], False),
    ],
)
def test_an_exact_scope_is_a_whole_element_and_a_prefix_starts_one(condition, scopes, hit):
    record = {"key": "k", "slack.integration.scopes": scopes or None}
    con = stored_table([record], columns=("slack.integration.scopes",))
    assert matched(con, sql_of(SCOPE_RULE % condition)) == ({"k"} if hit else set())
