"""The public contract (the marts' YAML) as data, and docs/contracts.md generated from it.

``models/marts/**/_*__models.yml`` is the single source of every public table's columns, types and
descriptions (shared descriptions are ``{% docs %}`` blocks). This module reads it so tests can check
the pipeline's outputs, the dashboard's reads and its fixture against it, and renders
docs/contracts.md from it: ``python -m mmm.contracts --write`` (``make contracts-doc``).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MARTS = ROOT / "models" / "marts"
DOC = ROOT / "docs" / "contracts.md"

_DOCS_BLOCK = re.compile(r"{%\s*docs\s+(\w+)\s*%}(.*?){%\s*enddocs\s*%}", re.S)
_DOC_CALL = re.compile(r"""{{\s*doc\(\s*['"](\w+)['"]\s*\)\s*}}""")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    folder: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _doc_blocks(folder: Path) -> dict[str, str]:
    blocks = {}
    for path in sorted(folder.rglob("*.md")):
        for name, text in _DOCS_BLOCK.findall(path.read_text()):
            blocks[name] = " ".join(text.split())
    return blocks


def _resolve(text: str, blocks: dict[str, str]) -> str:
    return " ".join(_DOC_CALL.sub(lambda m: blocks[m.group(1)], str(text or "")).split())


def public_tables(marts: Path = MARTS) -> dict[str, Table]:
    """Every contracted public model under ``marts`` by name, in file order."""
    blocks = _doc_blocks(marts)
    tables = {}
    for path in sorted(marts.rglob("_*__models.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            if not model.get("config", {}).get("contract", {}).get("enforced"):
                continue
            grain = next((tuple(c["columns"]) for c in model.get("constraints", []) if c["type"] == "primary_key"), ())
            columns = tuple(Column(c["name"], c["data_type"], _resolve(c.get("description"), blocks))
                            for c in model["columns"])
            tables[model["name"]] = Table(model["name"], _resolve(model.get("description"), blocks), grain, columns,
                                          str(path.parent.relative_to(marts.parent.parent)))
    return tables


def render(tables: dict[str, Table]) -> str:
    lines = [
        "# The public contract",
        "",
        "<!-- Generated from the marts' YAML by `make contracts-doc` (python -m mmm.contracts --write).",
        "     Do not edit by hand: edit the YAML; a test fails when this file is stale. -->",
        "",
        "These tables are what dashboards and other consumers may read. Each is a contracted dbt model:",
        "its column names and types and its grain (a primary key) are enforced when it is built. Money is",
        "in the reporting currency (var `reporting_currency`, default USD). Everything else in the",
        "warehouse (`stg_`, `int_`, `mmm_`, `dq_` models) is internal and may change.",
        "",
    ]
    for table in tables.values():
        lines += [f"## `{table.name}`", "", table.description, "",
                  f"Grain: {', '.join(table.grain) or 'none declared'}. Defined in `{table.folder}`.", "",
                  "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| {c.name} | {c.data_type} | {c.description.replace('|', '/')} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Render docs/contracts.md from the marts' YAML.")
    ap.add_argument("--write", action="store_true", help="write docs/contracts.md (default: print)")
    args = ap.parse_args(argv)
    text = render(public_tables())
    if args.write:
        DOC.write_text(text)
        print(f"wrote {DOC}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
