"""Classification table: convex BN classifier versus MLP, logistic regression and GD-BN.

Data sets shipped with scikit-learn (digits, breast_cancer, wine), standardized,
stratified 80/20 split with seed 0. For each model: test accuracy, fit time and the
number of hidden neurons (nonzero for the convex models).

Usage
  python benchmarks/classification.py [--datasets digits breast_cancer wine] [--quick]

``--quick`` skips the cross-validated alpha search. Writes
benchmarks/results/classification.json. Its stored rows were measured when the default
solver was ADMM, since removed; a new run uses the working-set solver.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sk_convexbn import ConvexBNClassifier, GDBNClassifier

sys.path.insert(0, str(Path(__file__).parent))
from _report import fmt, load_results, save_results, save_table  # noqa: E402

NAME = "classification"
LOADERS = {"digits": load_digits, "breast_cancer": load_breast_cancer, "wine": load_wine}
ALPHAS = [1e-4, 1e-3, 1e-2]


def split(name):
    X, y = LOADERS[name](return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def models(quick: bool):
    yield "ConvexBNClassifier (default)", lambda: ConvexBNClassifier(random_state=0)
    yield "ConvexBNClassifier (spectral_power=0)", lambda: ConvexBNClassifier(
        spectral_power=0.0, random_state=0)
    if not quick:
        yield "ConvexBNClassifier (alpha by 3-fold CV)", lambda: GridSearchCV(
            ConvexBNClassifier(random_state=0), {"alpha": ALPHAS}, cv=3)
    yield "GDBNClassifier (default)", lambda: GDBNClassifier(  # the defaults of that run
        max_iter=1000, tol=1e-6, n_iter_no_change=50, random_state=0)
    yield "MLPClassifier(100,)", lambda: MLPClassifier(hidden_layer_sizes=(100,), random_state=0)
    yield "LogisticRegression", lambda: LogisticRegression(max_iter=5000)


def neurons(model) -> int | None:
    model = getattr(model, "best_estimator_", model)
    if hasattr(model, "output_weights_"):
        return int(np.sum(np.linalg.norm(model.output_weights_, axis=1) > 0))
    if hasattr(model, "coefs_"):
        return model.coefs_[0].shape[1]
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--models", nargs="+", default=None,
                        help="run only the models whose label starts with one of these")
    args = parser.parse_args()
    produced = {}
    for name in args.datasets:
        X_train, X_test, y_train, y_test = split(name)
        for label, make in models(args.quick):
            if args.models and not any(label.startswith(m) for m in args.models):
                continue
            model = make()
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            best = getattr(model, "best_params_", None)
            produced[f"{name}/{label}"] = {
                "accuracy": float(model.score(X_test, y_test)), "fit_seconds": seconds,
                "neurons": neurons(model), "best_params": best,
                "convergence_warnings": sum(issubclass(w.category, ConvergenceWarning)
                                            for w in caught),
            }
            print(f"{name:<14}{label:<42}{produced[f'{name}/{label}']['accuracy']:.4f}"
                  f"{seconds:10.2f}s  neurons={neurons(model)}  {best or ''}", flush=True)
            save_results(NAME, produced)
    save_table(NAME, table(load_results(NAME)),
               "python benchmarks/classification.py " + " ".join(sys.argv[1:]))


def table(results: dict) -> list[str]:
    lines = [f"{'data set':<14}{'model':<42}{'test acc':>9}{'fit s':>9}{'neurons':>8}  note"]
    order = list(LOADERS)
    for key, r in sorted(results.items(), key=lambda kv: order.index(kv[0].split("/")[0])):
        name, label = key.split("/", 1)
        note = [f"{k}={v:g}" for k, v in (r.get("best_params") or {}).items()]
        if r.get("convergence_warnings"):
            note.append(f"{r['convergence_warnings']} ConvergenceWarning(s)")
        lines.append(f"{name:<14}{label:<42}{r['accuracy']:9.4f}{r['fit_seconds']:9.2f}"
                     f"{fmt(r['neurons'], '8d')}  {', '.join(note)}")
    return lines


if __name__ == "__main__":
    main()
