"""Encoding gradient descent's implicit regularization in the convex program (docs/theory.rst,
"What gradient descent prefers, made explicit").

A BN network trained by gradient descent fits the high-variance directions of the
data first; the convex program, being whitened, treats all directions alike. This
study fits, on the same training rows and with the same J (squared loss on one-hot
targets, the same ``alpha``):

* the GD-trained BN network (``GDBNClassifier``, full batch, Adam), with as many
  neurons as the plain convex model has active ones;
* the plain convex model (``ConvexBNClassifier``, no encoding);
* the convex model with truncation (``n_components=k``) over a grid of k, and with
  spectral weighting (``spectral_power=tau``) over a grid of tau.

For each: validation and test accuracy, training objective, fit time, and the
agreement of its test predictions with the GD network's. The encoding is chosen on
the validation rows (held out of the training set), never on the test set.

CIFAR-10 images are flattened, scaled to [0, 1], standardized on the training rows
and projected on their top principal components (``--pca``, unwhitened, so the
variances GD is sensitive to are kept): every model sees the same features, and the
plain convex model is unencoded with respect to them.

Usage
  python benchmarks/implicit_regularization.py --dataset digits [--quick]
  python benchmarks/implicit_regularization.py --dataset cifar10 \
      --cifar ../shared/data/cifar10-jpg.tar.xz [--quick] [--n-train 45000]

Writes benchmarks/results/implicit_regularization.json, .txt and .png (the figure
shows the results of every data set in the JSON). The convex rows stored there were
fitted with the ADMM solver, since removed; a new run uses the working-set solver.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_convexbn import ConvexBNClassifier, GDBNClassifier

sys.path.insert(0, str(Path(__file__).parent))
from _report import RESULTS_DIR, load_results, save_results, save_table  # noqa: E402

NAME = "implicit_regularization"

SETTINGS = {
    # dataset, quick: training rows, validation rows, test rows, PCA, patterns,
    # k grid, tau grid, GD epochs (the convex fits: the working-set solver at its
    # default max_iter unless --max-iter says otherwise)
    ("digits", False): dict(n_train=None, n_val=0.2, n_test=None, pca=None, n_patterns=100,
                            ks=[4, 8, 16, 32], taus=[0.25, 0.5, 1.0, 2.0], epochs=1000),
    ("digits", True): dict(n_train=None, n_val=0.2, n_test=None, pca=None, n_patterns=40,
                           ks=[8, 16], taus=[0.5, 1.0], epochs=300),
    ("cifar10", False): dict(n_train=45_000, n_val=5_000, n_test=None, pca=256, n_patterns=100,
                             ks=[16, 32, 64, 128], taus=[0.25, 0.5, 1.0], epochs=500),
    ("cifar10", True): dict(n_train=4_000, n_val=1_000, n_test=2_000, pca=64, n_patterns=40,
                            ks=[8, 16, 32], taus=[0.5, 1.0], epochs=200),
}


def load(dataset: str, cifar: str | None, settings: dict, seed: int = 0):
    """Standardized (and projected) train / validation / test features and labels."""
    rng = np.random.default_rng(seed)
    if dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.2, stratify=y, random_state=seed)
    else:
        from sk_convexbn.datasets import load_cifar10

        if cifar is None:
            raise SystemExit("--cifar PATH (cifar10-jpg.tar.xz or cifar-10-python.tar.gz) is needed")
        data = load_cifar10(cifar)
        X_train, y_train = data.X_train.reshape(len(data.X_train), -1), data.y_train
        X_test, y_test = data.X_test.reshape(len(data.X_test), -1), data.y_test
        if settings["n_test"] is not None:
            keep = rng.choice(len(X_test), settings["n_test"], replace=False)
            X_test, y_test = X_test[keep], y_test[keep]
        X_train, X_test = X_train / 255.0, X_test / 255.0
    n_val = settings["n_val"]
    X_fit, X_val, y_fit, y_val = train_test_split(
        X_train, y_train, test_size=n_val, stratify=y_train, random_state=seed)
    if settings["n_train"] is not None and settings["n_train"] < len(X_fit):
        keep = rng.choice(len(X_fit), settings["n_train"], replace=False)
        X_fit, y_fit = X_fit[keep], y_fit[keep]
    scaler = StandardScaler().fit(X_fit)
    X_fit, X_val, X_test = (scaler.transform(A) for A in (X_fit, X_val, X_test))
    if settings["pca"] is not None:
        pca = PCA(settings["pca"], svd_solver="randomized", random_state=seed).fit(X_fit)
        X_fit, X_val, X_test = (pca.transform(A) for A in (X_fit, X_val, X_test))
    return X_fit, X_val, X_test, y_fit, y_val, y_test


def evaluate(model, data, reference=None) -> dict:
    X_fit, X_val, X_test, y_fit, y_val, y_test = data
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X_fit, y_fit)
    seconds = time.perf_counter() - start
    predicted = model.predict(X_test)
    row = {
        "train_accuracy": float(model.score(X_fit, y_fit)),
        "validation_accuracy": float(model.score(X_val, y_val)),
        "test_accuracy": float(np.mean(predicted == y_test)),
        "objective": float(model.objective_), "fit_seconds": seconds,
        "neurons": int(model.n_neurons_), "n_iter": int(model.n_iter_),
        "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught),
    }
    if hasattr(model, "duality_gap_"):
        row["duality_gap"] = float(model.duality_gap_)
    if reference is not None:
        row["test_agreement_with_gd"] = float(np.mean(predicted == reference))
    return row, predicted


def run(dataset: str, cifar: str | None, quick: bool, alpha: float,
        overrides: dict) -> dict:
    settings = {**SETTINGS[(dataset, quick)], **overrides}
    data = load(dataset, cifar, settings)
    print(f"{dataset}: {len(data[0])} training, {len(data[1])} validation, "
          f"{len(data[2])} test rows, {data[0].shape[1]} features", flush=True)

    def convex(**encoding):
        # spectral_power=0 and random patterns unless the encoding says otherwise (the
        # classifier's defaults are 1 and init="auto", a GD seed on data this large)
        limits = {"max_iter": settings["max_iter"]} if "max_iter" in settings else {}
        return ConvexBNClassifier(
            loss="squared_error", alpha=alpha, n_patterns=settings["n_patterns"],
            solver="working_set", tol=1e-3, random_state=0, **limits,
            **{"spectral_power": 0.0, "init": None, **encoding})

    rows = {}
    plain_row, plain_pred = evaluate(convex(), data)
    width = max(plain_row["neurons"], 1)
    gd = GDBNClassifier(loss="squared_error", hidden_layer_sizes=width, alpha=alpha,
                        max_iter=settings["epochs"], tol=1e-6, n_iter_no_change=50,
                        random_state=0)
    rows["GD"], gd_pred = evaluate(gd, data)
    plain_row["test_agreement_with_gd"] = float(np.mean(plain_pred == gd_pred))
    rows["convex plain"] = plain_row
    for label, row in rows.items():
        print(label, row, flush=True)
    for k in settings["ks"]:
        if k < data[0].shape[1]:
            rows[f"convex k={k}"] = evaluate(convex(n_components=k), data, gd_pred)[0]
            print(f"k={k}", rows[f"convex k={k}"], flush=True)
    for tau in settings["taus"]:
        rows[f"convex tau={tau:g}"] = evaluate(convex(spectral_power=tau), data, gd_pred)[0]
        print(f"tau={tau:g}", rows[f"convex tau={tau:g}"], flush=True)
    encoded = {k: v for k, v in rows.items() if k.startswith("convex ") and k != "convex plain"}
    best = max(encoded, key=lambda k: encoded[k]["validation_accuracy"])
    mimic = max(encoded, key=lambda k: encoded[k]["test_agreement_with_gd"])
    return {"settings": {**settings, "alpha": alpha, "quick": quick,
                         "n_fit": len(data[0]), "n_validation": len(data[1]),
                         "n_test": len(data[2]), "n_features": data[0].shape[1]},
            "rows": rows, "best_by_validation": best, "best_agreement": mimic}


def table(results: dict) -> list[str]:
    lines = []
    for key, result in results.items():
        s = result["settings"]
        lines.append(f"$ {result['command']}")
        lines.append(
            f"{key}: {s['n_fit']} training / {s['n_validation']} validation / {s['n_test']} "
            f"test rows, {s['n_features']} features, {s['n_patterns']} patterns, "
            f"alpha={s['alpha']:g}")
        lines.append(f"  {'model':<18}{'val acc':>9}{'test acc':>9}{'agree GD':>9}"
                     f"{'objective':>11}{'neurons':>8}{'seconds':>9}  note")
        for label, r in result["rows"].items():
            agree = r.get("test_agreement_with_gd")
            note = []
            if label == result["best_by_validation"]:
                note.append("chosen on validation")
            if label == result["best_agreement"]:
                note.append("closest to GD")
            if not r["converged"]:
                note.append(f"NOT converged ({r['n_iter']} it"
                            + (f", gap {r['duality_gap']:.1e})" if "duality_gap" in r else ")"))
            lines.append(
                f"  {label:<18}{r['validation_accuracy']:9.4f}{r['test_accuracy']:9.4f}"
                f"{'-' if agree is None else format(agree, '.4f'):>9}{r['objective']:11.5f}"
                f"{r['neurons']:8d}{r['fit_seconds']:9.1f}  {', '.join(note)}")
        chosen = result["rows"][result["best_by_validation"]]
        lines.append(
            f"  targets: chosen encoding {chosen['test_accuracy']:.4f} vs GD "
            f"{result['rows']['GD']['test_accuracy']:.4f} (>= ?"
            f" {chosen['test_accuracy'] >= result['rows']['GD']['test_accuracy']}) and vs plain "
            f"{result['rows']['convex plain']['test_accuracy']:.4f} (> ? "
            f"{chosen['test_accuracy'] > result['rows']['convex plain']['test_accuracy']})")
        lines.append("")
    return lines


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.size": 11}):
        fig, axes = plt.subplots(len(results), 2, figsize=(8, 3.0 * len(results) + 0.8),
                                 squeeze=False, layout="constrained")
        for (key, result), row_axes in zip(results.items(), axes):
            rows = result["rows"]
            for ax, prefix, label, log in ((row_axes[0], "convex k=", "n_components k", True),
                                           (row_axes[1], "convex tau=", "spectral_power tau",
                                            False)):
                grid = sorted((float(name[len(prefix):]), r) for name, r in rows.items()
                              if name.startswith(prefix))
                x = [g for g, _ in grid]
                ax.plot(x, [r["test_accuracy"] for _, r in grid], "o-",
                        label="convex: test accuracy")
                ax.plot(x, [r["test_agreement_with_gd"] for _, r in grid], "s--",
                        label="convex: agreement with GD")
                ax.axhline(rows["GD"]["test_accuracy"], color="k", lw=1,
                           label="GD: test accuracy")
                ax.axhline(rows["convex plain"]["test_accuracy"], color="r", lw=1, ls=":",
                           label="plain convex: test accuracy")
                if log:
                    ax.set_xscale("log", base=2)
                ax.set_xlabel(label)
                ax.set_title(textwrap.fill(key, 40), fontsize=11)
                ax.grid(alpha=0.3)
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
        fig.savefig(path, dpi=110)
        plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["digits", "cifar10"], default="digits")
    parser.add_argument("--cifar", default=None, help="path of the CIFAR-10 archive")
    parser.add_argument("--quick", action="store_true", help="a reduced run (minutes)")
    parser.add_argument("--alpha", type=float, default=1e-3)
    parser.add_argument("--n-train", type=int, default=None, help="subsample the training rows")
    parser.add_argument("--max-iter", type=int, default=None, help="working-set solver rounds cap")
    parser.add_argument("--pca", type=int, default=None, help="CIFAR-10: principal components kept")
    parser.add_argument("--n-patterns", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None, help="GD epochs")
    parser.add_argument("--replot", action="store_true",
                        help="redraw the figure from the saved results without running")
    args = parser.parse_args()
    if args.replot:
        results = load_results(NAME)
        plot(results, RESULTS_DIR / f"{NAME}.png")
        return
    overrides = {k: v for k, v in (("n_train", args.n_train), ("max_iter", args.max_iter),
                                   ("pca", args.pca), ("n_patterns", args.n_patterns),
                                   ("epochs", args.epochs))
                 if v is not None}
    key = f"{args.dataset}{' (quick)' if args.quick else ''}"
    if args.alpha != 1e-3:
        key += f" alpha={args.alpha:g}"
    if overrides:
        key += " " + " ".join(f"{k}={v}" for k, v in overrides.items())
    row = run(args.dataset, args.cifar, args.quick, args.alpha, overrides)
    row["command"] = "python benchmarks/implicit_regularization.py " + " ".join(sys.argv[1:])
    results = save_results(NAME, {key: row})
    save_table(NAME, table(results))
    plot(results, RESULTS_DIR / f"{NAME}.png")


if __name__ == "__main__":
    main()
