"""How a record looks once stored, the view every rule is evaluated on.

Loki's native OTLP ingestion (pkg/loghttp/push/otlp.go) stores each resource and record attribute
as a label named by otlptranslator.NormalizeLabel (anything but [A-Za-z0-9_] becomes `_`), valued
by pdata's Value.AsString(): strings as they are, booleans `true`/`false`, integers in decimal, and
a string array as its JSON text, `["files:read","chat:write"]`. A label a record lacks reads as
the empty string in a LogQL filter. The collector in otel-collector.yaml adds `event.name`.

The DuckDB table `logs` holds the same strings, under the OTel attribute names the Sigma rules
use: so `slack.integration.scopes` is the JSON text there too, and the stored-view pipeline
(detections/pipelines/stored-view.yml) turns "some element is files:read" into "contains
`"files:read"`" for both.
"""
import json
import re

import duckdb

# Fields of the dumped record that are not attributes Loki keeps as labels.
NOT_LABELS = {"key", "example", "run", "time_unix_nano", "body"}


def loki_name(attribute: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", attribute)


def as_string(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    # Go's encoding/json: compact, UTF-8 kept, <, > and & escaped.
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def stored_fields(record: dict) -> dict[str, str]:
    """OTel name -> stored string, for every attribute the record carries."""
    return {k: as_string(v) for k, v in record.items() if k not in NOT_LABELS and v is not None}


def loki_view(record: dict) -> dict[str, str]:
    return {loki_name(k): v for k, v in stored_fields(record).items()}


def stored_table(records: list[dict], columns: tuple[str, ...] = ()):
    """An in-memory DuckDB with table `logs`: one row per record, one VARCHAR column per attribute
    name (OTel names) and `columns`, '' where a record lacks it (as a Loki filter reads a missing label)."""
    rows = [stored_fields(r) | {"key": r["key"]} for r in records]
    columns = sorted({c for row in rows for c in row} | set(columns))
    con = duckdb.connect()
    con.execute("CREATE TABLE logs (" + ", ".join(f'"{c}" VARCHAR' for c in columns) + ")")
    con.executemany(
        "INSERT INTO logs VALUES (" + ", ".join("?" for _ in columns) + ")",
        [[row.get(c, "") for c in columns] for row in rows],
    )
    return con
