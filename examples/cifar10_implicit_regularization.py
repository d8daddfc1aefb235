"""
CIFAR-10: encoding gradient descent's implicit regularization
=============================================================

A BN network trained by gradient descent fits the high-variance directions of its
input first, while the convex program, being whitened, treats every direction
alike (see :ref:`theory_implicit_regularization`). The study in
``benchmarks/implicit_regularization.py`` measures, on digits and on CIFAR-10, how
well the two encodings of that preference, truncation (``n_components``) and
spectral weighting (``spectral_power``), make the convex model *mimic* a network
trained by gradient descent (agreement of test predictions) and whether they
*improve* on it (test accuracy). Each encoding is chosen on held-out validation
rows, never on the test set.

**This example is not run when the documentation is built**: the study needs the
CIFAR-10 archive (``load_cifar10`` reads a local file and never downloads) and
minutes of compute. Run the study first, from the repository root:

.. code-block:: bash

   python benchmarks/implicit_regularization.py --dataset cifar10 \\
       --cifar ../shared/data/cifar10-jpg.tar.xz --quick

``--quick`` uses 4,000 training, 1,000 validation and 2,000 test images projected
on their top 64 principal components; without it, 45,000 / 5,000 / 10,000 images
and 256 components, which takes hours on a CPU. The script writes ``benchmarks/results/implicit_regularization.json``, a text table and
a figure; this example reads the JSON and plots every data set it holds. Run it
with ``python examples/cifar10_implicit_regularization.py``. The convex rows stored
in the repository were fitted with the ADMM solver, since removed; a new run of the
study fits them with the working-set solver.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

# sphinx_gallery_thumbnail_path = "../benchmarks/results/implicit_regularization.png"

try:
    ROOT = Path(__file__).resolve().parents[1]
except NameError:  # run interactively, from the repository root
    ROOT = Path.cwd()
RESULTS = ROOT / "benchmarks" / "results" / "implicit_regularization.json"
COMMAND = ("python benchmarks/implicit_regularization.py --dataset cifar10 "
           "--cifar ../shared/data/cifar10-jpg.tar.xz --quick")

# %%
# Load the results
# ----------------
# One entry per data set (and mode) the study was run on; each has the settings,
# one row of measurements per model, and the model chosen on the validation rows.

results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
if not results:
    print(f"No results in {RESULTS}: run, from the repository root,\n  {COMMAND}")
if results and not any("cifar" in name.lower() for name in results):
    print(f"{RESULTS} holds no CIFAR-10 run yet (only {', '.join(results)}); run\n  {COMMAND}")

for name, entry in results.items():
    rows = entry.get("rows", {})
    print(f"\n{name}: chosen on validation: {entry.get('best_by_validation', '-')}")
    print(f"  {'model':18s} {'test acc':>8s} {'agree GD':>8s} {'objective':>10s} {'seconds':>8s}")
    for model, row in rows.items():
        agree = row.get("test_agreement_with_gd")
        print(f"  {model:18s} {row.get('test_accuracy', np.nan):8.4f} "
              f"{'-' if agree is None else format(agree, '.4f'):>8s} "
              f"{row.get('objective', np.nan):10.5f} {row.get('fit_seconds', np.nan):8.1f}")

# %%
# Plot accuracy and agreement with gradient descent
# -------------------------------------------------
# For each data set: the test accuracy of every model (bars) and, for the convex
# models, the fraction of test images on which they predict the same class as the
# network trained by gradient descent (dots).

if results:
    fig, axes = plt.subplots(len(results), 1, figsize=(8, 4.2 * len(results)),
                             layout="constrained", squeeze=False)
    for ax, (name, entry) in zip(axes[:, 0], results.items()):
        rows = entry.get("rows", {})
        labels = list(rows)
        x = np.arange(len(labels))
        accuracy = [rows[k].get("test_accuracy", np.nan) for k in labels]
        agreement = [rows[k].get("test_agreement_with_gd", np.nan) for k in labels]
        colors = ["tab:gray" if k == "GD" else "tab:blue" for k in labels]
        ax.bar(x, accuracy, color=colors, label="test accuracy")
        ax.plot(x, agreement, "o", color="tab:orange", label="agreement with GD")
        chosen = entry.get("best_by_validation")
        if chosen in labels:
            ax.bar(x[labels.index(chosen)], accuracy[labels.index(chosen)], fill=False,
                   edgecolor="k", lw=2, label="chosen on validation")
        ax.set_xticks(x, labels, rotation=30, ha="right")
        values = [v for v in accuracy + agreement if np.isfinite(v)]
        ax.set_ylim(max(0.0, min(values) - 0.05) if values else 0.0, 1.0)
        ax.set_title(name)
        ax.legend(loc="lower right")
    plt.show()
