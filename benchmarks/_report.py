"""Shared output of the benchmark scripts: a printed table, its text copy and the JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import warnings
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


def timed_fit(model, X, y) -> dict:
    """Fit ``model``; its wall time and how many ConvergenceWarnings the fit raised."""
    from sklearn.exceptions import ConvergenceWarning

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y)
    return {"seconds": time.perf_counter() - start,
            "convergence_warnings": sum(issubclass(w.category, ConvergenceWarning)
                                        for w in caught)}


def run_in_subprocess(command: list[str], timeout: float) -> dict:
    """Run a worker command; the last JSON line it prints, or a timeout/failure row."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "note": f"no result within {timeout:.0f} s",
                "seconds": time.perf_counter() - start}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == 0 and lines:
        return json.loads(lines[-1])
    return {"status": "failed", "note": done.stderr[-2000:]}


def run_rows(name: str, script: str, rows: list[tuple[str, str]], timeout: float,
             results: dict | None = None) -> dict:
    """Run ``script --worker A B`` for each ``(A, B)`` in its own subprocess, saving each
    row ``"A/B"`` of ``results/<name>.json`` as soon as it is done."""
    results = {} if results is None else results
    for first, second in rows:
        print(f"running {first} / {second} ...", flush=True)
        results[f"{first}/{second}"] = run_in_subprocess(
            [sys.executable, script, "--worker", first, second], timeout)
        save_results(name, results)
    return results
