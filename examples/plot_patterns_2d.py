"""
Activation patterns of the whitened data, and the fitted BN neurons
===================================================================

Batch normalization makes a ReLU network see only the *whitened* data
``Z = [sqrt(n) U, 1]``, where ``X - mean(X) = U S V^T`` (see :ref:`theory`). The
convex program behind :class:`~sk_convexbn.ConvexBNRegressor` has one pair of
blocks per *activation pattern* ``D = diag(1[Z g >= 0])``: the split of the rows by
an affine line in the whitened coordinates. This example draws these objects for a
two-dimensional data set:

* the raw data, strongly correlated, with three sampled activation patterns;
* the same rows in whitened coordinates, where every direction has unit variance;
* the fitted network's prediction and, for each hidden neuron, the line where its
  BN pre-activation crosses zero (where the neuron switches on).

The theory page shows the figure this example produces.
"""

import matplotlib.pyplot as plt
import numpy as np

from sk_convexbn import ConvexBNRegressor

rng = np.random.default_rng(0)
n = 40
X = rng.standard_normal((n, 2)) @ np.array([[1.5, 1.2], [0.0, 0.4]])
relu = lambda t: np.maximum(t, 0)  # noqa: E731
y = relu(X[:, 0] - 0.5) + relu(-X[:, 0] - X[:, 1] - 1) - 1.5 * relu(X[:, 1] - 0.8)
y += 0.05 * rng.standard_normal(n)
y = (y - y.mean()) / y.std()

# %%
# Whitening and sampled patterns
# ------------------------------
# The whitened matrix, computed here with NumPy the way the estimators compute it
# (no sample weights): centre, take the thin SVD, keep ``sqrt(n) U`` and append a
# column of ones. Its columns are orthogonal with squared norm ``n``.

mean = X.mean(axis=0)
U, S, Vt = np.linalg.svd(X - mean, full_matrices=False)
Z = np.column_stack([np.sqrt(n) * U, np.ones(n)])
print("Z has shape", Z.shape, "and Z^T Z = n I:", np.allclose(Z.T @ Z, n * np.eye(3)))

# A gate g draws the pattern 1[Z g >= 0]; the last entry of g acts as a bias, so
# each pattern is cut by an affine line. Count the distinct patterns of many gates.
gates = rng.standard_normal((3, 2000))
masks = Z @ gates >= 0
distinct = np.unique(masks[:, masks.any(axis=0)], axis=1).shape[1]
print(f"{distinct} distinct non-empty patterns among 2000 random gates (n = {n})")

# %%
# Fit the convex model
# --------------------
# A small program: the exact CVXPY solver over 300 sampled patterns, plain batch
# normalization (``spectral_power=0``).

model = ConvexBNRegressor(
    alpha=5e-3, n_patterns=300, solver="cvxpy", spectral_power=0.0, random_state=0
).fit(X, y)
print(f"{model.n_patterns_} patterns in the program, {model.n_neurons_} neurons, "
      f"objective J = {model.objective_:.5f}, train R^2 = {model.score(X, y):.3f}")


# %%
# Draw
# ----
# In raw coordinates the gate ``g`` is the line ``a^T (x - mean) + g[2] = 0`` with
# ``a = sqrt(n) V S^-1 g[:2]``; a neuron switches on where
# ``gamma (x^T w - bn_mean) / bn_std + beta = 0``.


def draw_line(ax, normal, offset, **style):
    """The line ``normal . x + offset = 0``."""
    point = -offset * normal / (normal @ normal)
    ax.axline(point, point + np.array([-normal[1], normal[0]]), **style)


colors = ["tab:blue", "tab:orange", "tab:green"]
fig, axes = plt.subplots(1, 3, figsize=(10, 3.8), layout="constrained")

ax = axes[0]
active = masks[:, 0]
ax.scatter(*X[active].T, c="k", s=18, label="active for the blue pattern")
ax.scatter(*X[~active].T, facecolors="none", edgecolors="k", s=18, label="inactive")
for k in range(3):
    normal = np.sqrt(n) * Vt.T @ (gates[:2, k] / S)
    draw_line(ax, normal, gates[2, k] - normal @ mean, color=colors[k], lw=1.5)
ax.set(title="raw data X and three patterns", xlabel="$x_1$", ylabel="$x_2$",
       aspect="equal")
ax.legend(loc="lower right", fontsize=9)

ax = axes[1]
W = np.sqrt(n) * U
ax.scatter(*W[active].T, c="k", s=18)
ax.scatter(*W[~active].T, facecolors="none", edgecolors="k", s=18)
for k in range(3):
    draw_line(ax, gates[:2, k], gates[2, k], color=colors[k], lw=1.5)
ax.set(title=r"whitened data $\sqrt{n}\,U$", xlabel="$z_1$", ylabel="$z_2$", aspect="equal")

ax = axes[2]
lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
F = model.predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
limit = np.abs(y).max()
mesh = ax.pcolormesh(g1, g2, F, cmap="RdBu_r", shading="auto", alpha=0.8,
                     vmin=-limit, vmax=limit)
fig.colorbar(mesh, ax=ax, label="prediction")
ax.scatter(*X.T, c=y, cmap="RdBu_r", vmin=-limit, vmax=limit, edgecolors="k", s=18)
v = model.output_weights_[:, 0]
for j in np.flatnonzero(np.abs(model.bn_scale_) > 1e-12):  # gamma = 0: a constant neuron
    w = model.hidden_weights_[:, j]
    offset = model.bn_shift_[j] * model.bn_std_[j] / model.bn_scale_[j] - model.bn_mean_[j]
    draw_line(ax, w, offset, color="darkred" if v[j] > 0 else "navy",
              lw=0.5 + 3 * abs(v[j]) / np.abs(v).max())
ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="$x_1$", ylabel="$x_2$",
       title=f"fitted network: {model.n_neurons_} BN neurons")
plt.show()

# %%
# Each line of the right panel is one hidden neuron (red: positive output weight,
# blue: negative; thicker: larger ``|v_j|``). The prediction is piecewise linear
# with kinks exactly on those lines. Every neuron's pattern, the rows on the
# active side of its line, is one of the sampled patterns of the program.
