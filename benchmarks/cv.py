"""Tuning in one line: the convex CV estimator against grid searches and LogisticRegressionCV.

On each data set (standardized, stratified 80/20 split), in one run, each row in its
own subprocess:

* ``ConvexBNClassifierCV`` (the warm-started path per fold);
* ``GridSearchCV`` over ``ConvexBNClassifier`` with the same grid and folds (every
  fit cold): the ratio of the two times is what the warm path saves, and the
  chosen ``alpha`` must be the same;
* ``LogisticRegressionCV`` (its defaults, same folds);
* ``GridSearchCV`` over ``MLPClassifier((100,))`` with a grid of its ``alpha`` of
  the same size.

Settings per data set (``SETTINGS``): breast_cancer uses the CV estimator's
defaults (10 grid points from ``alpha_max`` down to ``1e-3 alpha_max``, 5 folds);
digits a shorter grid (5 points down to ``3e-2 alpha_max``), 30 patterns and 3 folds,
because a fit there at the small alphas costs minutes (see baselines.py).

Usage
  OMP_NUM_THREADS=1 python benchmarks/cv.py
  OMP_NUM_THREADS=1 python benchmarks/cv.py --datasets breast_cancer

Writes benchmarks/results/cv.json and cv.txt.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _report import fmt, load_results, run_rows, save_table, timed_fit  # noqa: E402
from baselines import _split  # noqa: E402

NAME = "cv"
SETTINGS = {
    "breast_cancer": {"cv": 5, "convex": {}, "alphas": 10},
    "digits": {"cv": 3, "convex": {"alphas": 5, "eps": 3e-2, "n_patterns": 30}, "alphas": 5},
}
MODELS = ("ConvexBNClassifierCV", "GridSearchCV(ConvexBNClassifier)", "LogisticRegressionCV",
          "GridSearchCV(MLPClassifier)")


def run(name: str, label: str) -> dict:
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.neural_network import MLPClassifier

    from sk_convexbn import ConvexBNClassifier, ConvexBNClassifierCV

    settings = SETTINGS[name]
    X_train, X_test, y_train, y_test = _split(name)
    folds = StratifiedKFold(settings["cv"], shuffle=True, random_state=0)
    convex = dict(random_state=0, **settings["convex"])
    if label == "GridSearchCV(ConvexBNClassifier)":
        # the CV estimator's grid, computed (as it does) from alpha_max of the data
        search = ConvexBNClassifierCV(**convex)
        grid = search._grid(float(search.spectral_power), X_train, y_train, None)
        kwargs = {k: v for k, v in convex.items() if k not in ("alphas", "eps")}
        model = GridSearchCV(ConvexBNClassifier(**kwargs), {"alpha": list(grid)}, cv=folds)
    else:
        model = {
            "ConvexBNClassifierCV": lambda: ConvexBNClassifierCV(cv=folds, **convex),
            "LogisticRegressionCV": lambda: LogisticRegressionCV(cv=folds, max_iter=5000),
            "GridSearchCV(MLPClassifier)": lambda: GridSearchCV(
                MLPClassifier((100,), random_state=0),
                {"alpha": list(np.logspace(-5, 1, settings["alphas"]))}, cv=folds),
        }[label]()
    info = timed_fit(model, X_train, y_train)
    info["accuracy"] = float(model.score(X_test, y_test))
    if hasattr(model, "alpha_"):
        info |= {"alpha": model.alpha_, "cv_score": model.best_score_,
                 "gap": float(model.duality_gap_), "neurons": int(model.n_neurons_)}
    elif hasattr(model, "best_params_"):
        info |= {"alpha": float(model.best_params_["alpha"]), "cv_score": model.best_score_}
    return info


def table(results: dict) -> list[str]:
    lines = [f"{'data set / model':<50}{'seconds':>9}{'x MLP grid':>11}{'test acc':>9}"
             f"{'alpha':>10}{'cv score':>9}{'gap':>9}{'neurons':>8}  note"]
    for name in SETTINGS:
        rows = {label: results.get(f"{name}/{label}") for label in MODELS}
        mlp = (rows["GridSearchCV(MLPClassifier)"] or {}).get("seconds")
        for label, r in rows.items():
            if r is None:
                continue
            ok = r.get("status") not in ("timeout", "failed")
            ratio = r["seconds"] / mlp if ok and mlp and r.get("seconds") else None
            note = r.get("note", "") if not ok else ""
            if r.get("convergence_warnings"):
                note += f"{r['convergence_warnings']} ConvergenceWarning(s)"
            lines.append(
                f"{name + ' / ' + label:<50}{fmt(r.get('seconds'), '9.1f')}"
                f"{fmt(ratio, '11.2f')}{fmt(r.get('accuracy'), '9.4f')}"
                f"{fmt(r.get('alpha'), '10.2e')}{fmt(r.get('cv_score'), '9.4f')}"
                f"{fmt(r.get('gap'), '9.1e')}{fmt(r.get('neurons'), '8d')}  {note.strip()}")
        warm, cold = rows["ConvexBNClassifierCV"], rows["GridSearchCV(ConvexBNClassifier)"]
        alphas = [r.get("alpha") if r else None for r in (warm, cold)]
        if all(isinstance(a, float) for a in alphas) and warm.get("seconds") and cold.get(
                "seconds"):
            # the grids come from alpha_max: equal up to round-off across code versions
            same = "same" if math.isclose(*alphas, rel_tol=1e-9) else "DIFFERENT"
            lines.append(f"{'':<4}warm path / cold grid search: "
                         f"{warm['seconds'] / cold['seconds']:.2f} of the time, {same} alpha")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(SETTINGS), choices=SETTINGS)
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=MODELS)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per row")
    parser.add_argument("--worker", nargs=2, metavar=("DATASET", "MODEL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run(*args.worker)))
        return
    run_rows(NAME, __file__, [(name, label) for name in args.datasets
                              for label in args.models], args.timeout)
    save_table(NAME, table(load_results(NAME)),
               "OMP_NUM_THREADS=1 python benchmarks/cv.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
