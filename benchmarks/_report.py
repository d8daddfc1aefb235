"""Shared output of the benchmark scripts: a printed table, its text copy and the JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"


def load_results(name: str) -> dict:
    """Results of earlier runs of benchmark ``name`` (rows are updated, not replaced)."""
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def save_results(name: str, rows: dict) -> dict:
    """Merge the rows this run produced into ``results/<name>.json``; return all rows.

    Only ``rows`` are written over the file as it is now, so rows written meanwhile
    by another run of the same script (other data sets or models) are kept.
    """
    RESULTS_DIR.mkdir(exist_ok=True)
    merged = {**load_results(name), **rows}
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(merged, indent=2))
    return merged


def save_table(name: str, lines: list[str], command: str | None = None) -> Path:
    """Print the table and write it to ``results/<name>.txt`` (the docs include it)."""
    text = "\n".join(([f"$ {command}"] if command else []) + lines) + "\n"
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.txt"
    path.write_text(text)
    return path


def fmt(value, spec: str) -> str:
    """``format(value, spec)``, or ``-`` (as wide) for a missing value."""
    if value is None:
        width = re.match(r"\d*", spec).group()
        return "-".rjust(int(width)) if width else "-"
    return format(value, spec)
