"""
Quickstart: a batch-normalized ReLU network trained to its convex optimum
=========================================================================

Fit :class:`~sk_convexbn.ConvexBNRegressor` on the diabetes data that ships with
scikit-learn, read the fitted network, and check that the exported torch module
predicts the same thing.

This is the README's main example: ``python examples/quickstart.py`` prints the
summary shown at the bottom of this page.
"""

import time

import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_convexbn import ConvexBNRegressor

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
scaler = StandardScaler().fit(X_train)
y_mean, y_std = y_train.mean(), y_train.std()
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
y_train_s = (y_train - y_mean) / y_std

# %%
# Fit the network. ``alpha`` is the weight decay of the objective J; ``n_patterns``
# random gates sample the activation patterns of the convex program, and
# ``solver="auto"`` (the default) picks the solver that suits the program's size.

start = time.perf_counter()
model = ConvexBNRegressor(alpha=3e-2, n_patterns=100, random_state=0)
model.fit(X_train, y_train_s)
elapsed = time.perf_counter() - start

# %%
# Predict with the estimator and with the exported PyTorch module
# (``Linear -> BatchNorm1d -> ReLU -> Linear`` in eval mode), and summarize the fit.

pred = model.predict(X_test) * y_std + y_mean
with torch.no_grad():
    torch_pred = model.to_torch()(torch.from_numpy(X_test))[:, 0].numpy() * y_std + y_mean

print("ConvexBNRegressor on diabetes (n_train=%d, n_features=%d)" % X_train.shape)
print(f"  solver               {model.solver_} ({model.n_iter_} iterations, {elapsed:.2f} s)")
print(f"  activation patterns  {model.n_patterns_}")
print(f"  hidden neurons       {model.hidden_weights_.shape[1]}")
print(f"  objective J          {model.objective_:.6f}")
print(f"  train R^2            {model.score(X_train, y_train_s):.3f}")
print(f"  test R^2             {1 - np.mean((pred - y_test)**2) / np.var(y_test):.3f}")
ridge = RidgeCV().fit(X_train, y_train)
print(f"  (RidgeCV test R^2    {ridge.score(X_test, y_test):.3f}: diabetes is nearly linear)")
print(f"  torch export agrees  max |diff| = {np.abs(torch_pred - pred).max():.2e}")
