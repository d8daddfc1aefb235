"""Are the convex estimators quick baselines? Solvers and peers side by side, in one run.

Two kinds of rows, each run in its own subprocess with a time limit:

* data sets, as a user fits them (standardized, stratified 80/20 split):
  ``ConvexBNClassifier()`` with its defaults (the working-set solver), the same with
  the patterns of a gradient-descent network only (``init="gd", n_patterns=0``) and
  with ``solver="cvxpy"`` (small data sets only), ``GDBNClassifier()``,
  ``MLPClassifier((100,))`` and
  ``LogisticRegression``: test accuracy, fit time, neurons, certified gap, and the
  time as a multiple of the MLP's;
* fixed programs (same whitened data, patterns and alpha for every solver; see
  ``solver_comparison.py``, whose workers this script runs): problem a (digits,
  squared loss on one-hot targets), b (regression, n=2000, d=50, 100 patterns),
  d (n=300, d=6, 60 patterns) and, with ``--cifar``, c (CIFAR-10, 50,000 images,
  256 components, 200 patterns).

Usage
  OMP_NUM_THREADS=1 python benchmarks/baselines.py
  OMP_NUM_THREADS=1 python benchmarks/baselines.py --datasets iris wine --programs
  OMP_NUM_THREADS=1 python benchmarks/baselines.py --datasets --programs c --cifar PATH

Writes benchmarks/results/baselines.json and baselines.txt. Rows of earlier runs stay
in that file, among them the ``convex admm`` and ``admm`` rows of the ADMM solver,
since removed (they were the measurement behind its removal).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _report import (  # noqa: E402
    fmt, load_results, run_in_subprocess, run_rows, save_results, save_table, timed_fit)

NAME = "baselines"
DATASETS = ("digits", "breast_cancer", "wine", "iris")
MODELS = ("convex (default)", "convex init='gd'", "convex cvxpy", "GDBNClassifier()",
          "MLPClassifier(100,)", "LogisticRegression")
PROGRAM_SOLVERS = {"a": ("working_set", "scnn", "mlp"),
                   "b": ("working_set", "cvxpy", "scnn"),
                   "d": ("working_set", "cvxpy", "scnn"),
                   "c": ("working_set",)}


def _split(name):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _model(label):
    from sklearn.exceptions import ConvergenceWarning  # noqa: F401
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from sk_convexbn import ConvexBNClassifier, GDBNClassifier

    return {
        "convex (default)": lambda: ConvexBNClassifier(random_state=0),
        "convex init='gd'": lambda: ConvexBNClassifier(init="gd", n_patterns=0, random_state=0),
        "GDBNClassifier()": lambda: GDBNClassifier(random_state=0),
        "convex cvxpy": lambda: ConvexBNClassifier(solver="cvxpy", init=None,
                                                   random_state=0),
        "MLPClassifier(100,)": lambda: MLPClassifier(hidden_layer_sizes=(100,),
                                                     random_state=0),
        "LogisticRegression": lambda: LogisticRegression(max_iter=5000),
    }[label]()


def run_dataset(name: str, label: str) -> dict:
    X_train, X_test, y_train, y_test = _split(name)
    model = _model(label)
    info = timed_fit(model, X_train, y_train)
    info |= {"accuracy": float(model.score(X_test, y_test)),
             "peak_memory_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}
    if hasattr(model, "n_neurons_") and not hasattr(model, "duality_gap_"):  # GD
        info |= {"neurons": int(model.n_neurons_), "objective": float(model.objective_),
                 "iterations": int(model.n_iter_)}
    elif hasattr(model, "n_neurons_"):
        info |= {"neurons": int(model.n_neurons_), "gap": float(model.duality_gap_),
                 "objective": float(model.objective_), "solver": model.solver_,
                 "iterations": int(model.n_iter_)}
    elif hasattr(model, "coefs_"):
        info["neurons"] = model.coefs_[0].shape[1]
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=MODELS)
    parser.add_argument("--programs", nargs="*", default=["a", "b", "d"],
                        choices=list(PROGRAM_SOLVERS))
    parser.add_argument("--cifar", default=None, help="path of the CIFAR-10 archive")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per row")
    parser.add_argument("--worker", nargs=2, metavar=("DATASET", "MODEL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_dataset(*args.worker)))
        return

    results = {}
    if "digits" in args.datasets and "convex cvxpy" in args.models:
        results["digits/convex cvxpy"] = {"status": "skipped", "note": (
            "2.9 million cone constraints: beyond what CVXPY canonicalizes here")}
    rows = [(name, label) for name in args.datasets for label in args.models
            if f"{name}/{label}" not in results]
    run_rows(NAME, __file__, rows, args.timeout, results)
    comparison = Path(__file__).parent / "solver_comparison.py"
    for problem in args.programs:
        for solver in PROGRAM_SOLVERS[problem]:
            command = [sys.executable, str(comparison), "--worker", problem, solver]
            if problem == "c":
                command += ["--cifar", args.cifar]
            print(f"running program {problem} / {solver} ...", flush=True)
            results[f"program {problem}/{solver}"] = run_in_subprocess(command, args.timeout)
            save_results(NAME, results)
    save_table(NAME, table(load_results(NAME)),
               "OMP_NUM_THREADS=1 python benchmarks/baselines.py " + " ".join(sys.argv[1:]))


def table(results: dict) -> list[str]:
    lines = [f"{'row':<40}{'seconds':>9}{'x MLP':>7}{'test acc':>9}{'objective':>12}"
             f"{'gap':>9}{'neurons':>8}{'mem GB':>7}  note"]
    groups: dict[str, dict] = {}
    for key, r in results.items():
        group, label = key.rsplit("/", 1)
        groups.setdefault(group, {})[label] = r
    for group, rows in groups.items():
        yardstick = (rows.get("MLPClassifier(100,)") or rows.get("mlp") or {}).get("seconds")
        for label, r in rows.items():
            ratio = (r["seconds"] / yardstick if yardstick and r.get("seconds")
                     and r.get("status") not in ("timeout", "failed") else None)
            note = r.get("status", "") if r.get("status") not in (None, "done") else ""
            if r.get("convergence_warnings"):
                note += f" {r['convergence_warnings']} ConvergenceWarning(s)"
            if r.get("note") and r.get("status") in ("timeout", "skipped"):
                note = r["note"]
            lines.append(
                f"{group + '/' + label:<40}{fmt(r.get('seconds'), '9.2f')}"
                f"{fmt(ratio, '7.1f')}{fmt(r.get('accuracy'), '9.4f')}"
                f"{fmt(r.get('objective'), '12.6f')}"
                f"{fmt(r.get('gap', r.get('certificate')), '9.1e')}{fmt(r.get('neurons'), '8d')}"
                f"{fmt(r.get('peak_memory_gb'), '7.2f')}  {note.strip()}")
    return lines


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
