"""Which patterns by default: 100 random ones, or a gradient-descent seed run's? Side by side.

For each data set, in one run, each row in its own subprocess:

* ``init=None``: the 100 random patterns only (the former default);
* ``init="gd"``: a short gradient-descent run's patterns added to them;
* ``init="gd", n_patterns=0``: the seed's patterns only;
* the MLP (``MLPClassifier()`` / ``MLPRegressor(max_iter=2000)``) as the yardstick.

The default ``init="auto"`` is ``"gd"`` from ``AUTO_GD_ENTRIES`` entries of ``X`` on and
None below; column ``auto`` marks the row it picks. Data: iris, wine, breast_cancer
and digits (standardized, stratified 80/20 split, test accuracy) and the 2,000 x 50
regression of ``solver_comparison.py``'s problem b (80/20 split, test R²).

Usage
  OMP_NUM_THREADS=1 python benchmarks/pattern_defaults.py
  OMP_NUM_THREADS=1 python benchmarks/pattern_defaults.py --datasets iris wine

Writes benchmarks/results/pattern_defaults.json and pattern_defaults.txt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _report import fmt, load_results, run_rows, save_table, timed_fit  # noqa: E402

NAME = "pattern_defaults"
DATASETS = ("iris", "wine", "breast_cancer", "digits", "regression 2000x50")
MODELS = ("init=None", 'init="gd"', 'init="gd", n_patterns=0', "MLP")


def _split(name):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name == "regression 2000x50":
        from solver_comparison import regression_2000x50

        return train_test_split(*regression_2000x50(), test_size=0.2, random_state=0)
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _model(dataset, label):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from sk_convexbn import ConvexBNClassifier, ConvexBNRegressor

    regression = dataset.startswith("regression")
    if label == "MLP":
        return (MLPRegressor(max_iter=2000, random_state=0) if regression
                else MLPClassifier(random_state=0))
    params = {"init=None": {"init": None}, 'init="gd"': {"init": "gd"},
              'init="gd", n_patterns=0': {"init": "gd", "n_patterns": 0}}[label]
    estimator = ConvexBNRegressor if regression else ConvexBNClassifier
    return estimator(random_state=0, **params)


def run_row(dataset: str, label: str) -> dict:
    X_train, X_test, y_train, y_test = _split(dataset)
    model = _model(dataset, label)
    info = timed_fit(model, X_train, y_train)
    info["test_score"] = float(model.score(X_test, y_test))
    info["entries"] = int(X_train.size)
    if hasattr(model, "duality_gap_"):
        info |= {"objective": float(model.objective_), "gap": float(model.duality_gap_),
                 "neurons": int(model.n_neurons_), "patterns": int(model.n_patterns_)}
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=MODELS)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per row")
    parser.add_argument("--worker", nargs=2, metavar=("DATASET", "MODEL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_row(*args.worker)))
        return
    rows = [(name, label) for name in args.datasets for label in args.models]
    run_rows(NAME, __file__, rows, args.timeout)
    save_table(NAME, table(load_results(NAME)),
               "OMP_NUM_THREADS=1 python benchmarks/pattern_defaults.py " + " ".join(sys.argv[1:]))


def table(results: dict) -> list[str]:
    from sk_convexbn._estimators._convex import AUTO_GD_ENTRIES

    lines = [f"{'row':<44}{'seconds':>9}{'x MLP':>7}{'score':>8}{'objective':>11}"
             f"{'gap':>9}{'neurons':>8}{'patterns':>9}  auto"]
    for dataset in DATASETS:
        rows = {label: results.get(f"{dataset}/{label}") for label in MODELS}
        mlp = (rows["MLP"] or {}).get("seconds")
        for label, r in rows.items():
            if r is None:
                continue
            ratio = r["seconds"] / mlp if mlp and r.get("seconds") else None
            entries = r.get("entries", 0)
            picked = {"init=None": entries < AUTO_GD_ENTRIES,
                      'init="gd"': entries >= AUTO_GD_ENTRIES}.get(label, False)
            note = "<- default" if picked else ""
            if r.get("status") not in (None, "done"):
                note = r.get("status", "")
            elif r.get("convergence_warnings"):
                note += f" {r['convergence_warnings']} ConvergenceWarning(s)"
            lines.append(
                f"{dataset + '/' + label:<44}{fmt(r.get('seconds'), '9.2f')}"
                f"{fmt(ratio, '7.1f')}{fmt(r.get('test_score'), '8.4f')}"
                f"{fmt(r.get('objective'), '11.6f')}{fmt(r.get('gap'), '9.1e')}"
                f"{fmt(r.get('neurons'), '8d')}{fmt(r.get('patterns'), '9d')}  {note.strip()}")
    return lines


if __name__ == "__main__":
    main()
