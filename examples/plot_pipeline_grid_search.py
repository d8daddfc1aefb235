"""
Pipeline and grid search over ``alpha`` and ``n_components``
============================================================

The estimators are ordinary scikit-learn estimators: they go into a
:class:`~sklearn.pipeline.Pipeline` and their hyperparameters are tuned with
:class:`~sklearn.model_selection.GridSearchCV` like any others. This example
standardizes the features of the diabetes data, fits a
:class:`~sk_convexbn.ConvexBNRegressor`, and searches

* ``alpha``, the weight decay, which sets how many neurons the network keeps;
* ``n_components``, which restricts the first-layer weights to the top principal
  directions of the standardized features (``None``: all of them), one of the two
  ways of giving the convex model gradient descent's preference for high-variance
  directions (see :ref:`encodings`).

It is kept small so that the gallery builds fast: 200 training rows, 3-fold cross-
validation, 20 sampled activation patterns, so that every fit is a small program
solved exactly by CVXPY.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_convexbn import ConvexBNRegressor

X, y = load_diabetes(return_X_y=True)
y = (y - y.mean()) / y.std()  # alpha is relative to the scale of the target
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=200, random_state=0)

pipe = make_pipeline(
    StandardScaler(),
    ConvexBNRegressor(n_patterns=20, solver="cvxpy", random_state=0),
)
param_grid = {
    "convexbnregressor__alpha": [3e-3, 1e-2, 3e-2, 1e-1],
    "convexbnregressor__n_components": [2, 5, None],
}
search = GridSearchCV(pipe, param_grid, cv=3).fit(X_train, y_train)

best = search.best_estimator_[-1]
print("best parameters:", search.best_params_)
print(f"cross-validated R^2 {search.best_score_:.3f}; test R^2 "
      f"{search.score(X_test, y_test):.3f} with {best.n_neurons_} neurons")
ridge = make_pipeline(StandardScaler(), RidgeCV()).fit(X_train, y_train)
print(f"RidgeCV test R^2 {ridge.score(X_test, y_test):.3f} (diabetes is nearly linear)")

# %%
# The cross-validated score over the grid. Too small an ``alpha`` keeps many
# neurons and overfits 133 rows; too large an ``alpha`` leaves too few.

scores = search.cv_results_["mean_test_score"].reshape(
    len(param_grid["convexbnregressor__alpha"]),
    len(param_grid["convexbnregressor__n_components"]),
)
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for k, n_components in enumerate(param_grid["convexbnregressor__n_components"]):
    ax.plot(param_grid["convexbnregressor__alpha"], scores[:, k], "o-",
            label=f"n_components={n_components}")
ax.set(xscale="log", xlabel=r"$\alpha$", ylabel="mean cross-validated $R^2$",
       title="GridSearchCV over a ConvexBNRegressor pipeline")
ax.legend()
plt.show()

# %%
# The fitted pipeline is a plain scikit-learn object; its last step still exposes
# the network, and ``to_torch()`` exports it (the scaler stays in scikit-learn).

print("hidden layer of the best model:", best.hidden_weights_.shape,
      "output weights:", np.round(best.output_weights_[:5, 0], 3), "...")
