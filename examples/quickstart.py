"""
Quickstart: a tuned, certified BN network next to MLP and logistic regression
=============================================================================

Fit :class:`~sk_convexbn.ConvexBNClassifierCV` in a pipeline on the breast-cancer
data that ships with scikit-learn: it chooses ``alpha`` by 5-fold cross-validation
along a warm-started path and refits a batch-normalized ReLU network to a
certified optimum of the convex program. Then compare it, on the same split, with
:class:`~sklearn.neural_network.MLPClassifier` and
:class:`~sklearn.linear_model.LogisticRegression`, and check that the exported
torch module predicts the same thing.

This is the README's main example: ``python examples/quickstart.py`` prints the
summary shown at the bottom of this page. The times are those of this machine.
"""

import time

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_convexbn import ConvexBNClassifierCV

# sphinx_gallery_thumbnail_path = "_static/thumbnails/quickstart.png"

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=0)

# %%
# Fit the three models. The convex model's grid runs from ``alpha_max`` (where the
# network is empty) down; its defaults: 10 grid points, 5 folds, 100 sampled
# activation patterns, the working-set solver stopping at a relative duality gap
# of ``1e-6``. The MLP gets ``max_iter=1000``: with its default of 200 epochs it
# stops before its own convergence test on this data (and warns).

models = {
    "ConvexBNClassifierCV": make_pipeline(StandardScaler(),
                                          ConvexBNClassifierCV(random_state=0)),
    "MLPClassifier(100,)": make_pipeline(StandardScaler(),
                                         MLPClassifier((100,), max_iter=1000,
                                                       random_state=0)),
    "LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression()),
}
rows = []
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    rows.append((name, time.perf_counter() - start, model.score(X_test, y_test)))

# %%
# The certificate: the network's objective J is within ``duality_gap_`` (relative)
# of the optimum of the convex program over its activation patterns.

convex = models["ConvexBNClassifierCV"][-1]
print("breast_cancer (n_train=%d, n_features=%d), stratified 80/20 split" % X_train.shape)
print(f"{'model':<24}{'fit time':>10}{'test accuracy':>15}")
for name, seconds, accuracy in rows:
    print(f"{name:<24}{seconds:>9.3f}s{accuracy:>15.4f}")
print()
print("ConvexBNClassifierCV")
print(f"  chosen alpha         {convex.alpha_:.3g} (of {len(convex.alphas_)}, "
      f"mean CV accuracy {convex.best_score_:.4f})")
print(f"  hidden neurons       {convex.n_neurons_} (from {convex.n_patterns_} patterns)")
print(f"  objective J          {convex.objective_:.6f}")
print(f"  duality gap          {convex.duality_gap_:.1e} (certified, {convex.solver_} "
      f"solver, {convex.n_iter_} rounds)")

# %%
# The fitted network is an ordinary ``Linear -> BatchNorm1d -> ReLU -> Linear``
# module in eval mode.

pipeline = models["ConvexBNClassifierCV"]
X_scaled = torch.from_numpy(pipeline[0].transform(X_test))
with torch.no_grad():
    logits = convex.to_torch()(X_scaled)[:, 0].numpy()
print(f"  torch export agrees  max |diff| = "
      f"{np.abs(logits - pipeline.decision_function(X_test)).max():.1e}")
