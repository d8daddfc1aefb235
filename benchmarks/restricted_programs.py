"""The working set's restricted programs as fixtures: how long the inner solver takes on each.

The working-set solver spends most of a large fit in its restricted programs (the blocks
of the working set, solved by Newton's method on the faces of their cones, with
proximal-gradient steps when Newton has not converged). This script

1. ``--capture``: fits digits (standardized, stratified 80/20 split) with
   ``ConvexBNClassifier(init="gd", n_patterns=0)`` and saves every restricted program the
   fit solves: the program and, per call of the Newton solver, its working set, faces,
   intercept and step limit (``benchmarks/.fixtures/``, ignored by git: a few MB of
   pickles, rebuilt in a minute);
2. then solves each saved restricted program from its saved start with Newton on the
   faces alone (up to ``--steps`` steps) and prints steps, pivots, convergence, time and
   J, so that a change to the inner solver can be compared program by program.

Usage
  OMP_NUM_THREADS=1 python benchmarks/restricted_programs.py --capture
  OMP_NUM_THREADS=1 python benchmarks/restricted_programs.py --calls 1 9 12

Writes benchmarks/results/restricted_programs.json and restricted_programs.txt.
"""

from __future__ import annotations

import argparse
import copy
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _report import fmt, save_results, save_table  # noqa: E402

NAME = "restricted_programs"
FIXTURES = Path(__file__).parent / ".fixtures"


def capture() -> None:
    """Fit digits with the GD-seeded patterns and save the inner solver's inputs."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from sk_convexbn import ConvexBNClassifier
    from sk_convexbn._solvers._working_set import _solver

    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    X_train = StandardScaler().fit_transform(X_train)
    FIXTURES.mkdir(exist_ok=True)
    calls, original = [], _solver.solve_on_faces

    def spy(view, active, b, **options):
        if not calls:
            (FIXTURES / "digits_program.pkl").write_bytes(pickle.dumps(view.program))
        calls.append((copy.deepcopy(active), b.clone(), options))
        return original(view, active, b, **options)

    _solver.solve_on_faces = spy
    try:
        ConvexBNClassifier(init="gd", n_patterns=0, random_state=0).fit(X_train, y_train)
    finally:
        _solver.solve_on_faces = original
    (FIXTURES / "digits_calls.pkl").write_bytes(pickle.dumps(calls))
    print(f"saved {len(calls)} restricted programs to {FIXTURES}")


def run(calls: list[int] | None, steps: int) -> dict:
    import torch

    from sk_convexbn._solvers._blocks import BlockView
    from sk_convexbn._solvers._working_set._newton import solve_on_faces

    program = pickle.loads((FIXTURES / "digits_program.pkl").read_bytes())
    saved = pickle.loads((FIXTURES / "digits_calls.pkl").read_bytes())
    view = BlockView(program, torch.device("cpu"), torch.float64)
    rows = {}
    for k in calls or range(1, len(saved) + 1):
        active, b, _ = copy.deepcopy(saved[k - 1])
        blocks = len(active)
        start = time.perf_counter()
        b, report = solve_on_faces(view, active, b, max_steps=steps)
        seconds = time.perf_counter() - start
        F = view.outputs(active.ids, active.U) + b
        rows[f"digits/call {k}"] = {
            "blocks": blocks, "steps": report.steps, "pivots": report.pivots,
            "converged": report.converged, "seconds": seconds,
            "objective": view.objective(F, active.U)}
        print(f"call {k}: {rows[f'digits/call {k}']}", flush=True)
    return rows


def table(rows: dict) -> list[str]:
    lines = [f"{'restricted program':<20}{'blocks':>7}{'steps':>7}{'pivots':>8}"
             f"{'converged':>10}{'seconds':>9}{'objective':>18}"]
    for key, r in rows.items():
        lines.append(f"{key:<20}{r['blocks']:>7}{r['steps']:>7}{r['pivots']:>8}"
                     f"{str(r['converged']):>10}{fmt(r['seconds'], '9.2f')}"
                     f"{fmt(r['objective'], '18.12f')}")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", action="store_true",
                        help="fit digits first and save its restricted programs")
    parser.add_argument("--calls", nargs="*", type=int, default=None,
                        help="which saved programs (1-based; all by default)")
    parser.add_argument("--steps", type=int, default=500, help="Newton steps at most")
    args = parser.parse_args()
    if args.capture or not (FIXTURES / "digits_calls.pkl").exists():
        capture()
    rows = run(args.calls, args.steps)
    save_results(NAME, rows)
    save_table(NAME, table(rows), "OMP_NUM_THREADS=1 python benchmarks/restricted_programs.py "
               + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
