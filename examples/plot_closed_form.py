"""
The closed form in the overparameterized regime
===============================================

When the data has at least as many features as rows (precisely: when ``[X, 1]`` has
full row rank), the whitened matrix ``Z`` is square and every vector of ``R^n`` is
the output of some BN neuron. For the squared loss, the best network then
soft-thresholds the target, whatever ``X`` is (see :ref:`theory`):

.. math::

   f^\\star = \\Big(1 - \\frac{\\alpha}{\\rho_+}\\Big)_+ y_+
            - \\Big(1 - \\frac{\\alpha}{\\rho_-}\\Big)_+ y_-,
   \\qquad y_\\pm = \\mathrm{relu}(\\pm y), \\quad
   \\rho_\\pm = \\mathrm{rms}(y_\\pm).

``solver="closed_form"`` returns that network, with at most two neurons. This
example checks it against the exact conic solver (``solver="cvxpy"``) over sampled
activation patterns: with 8 rows there are at most 255 non-empty patterns, and a
few thousand random gates find essentially all of them, so the program over the
sampled patterns is the full one.
"""

import matplotlib.pyplot as plt
import numpy as np

from sk_convexbn import ConvexBNRegressor

rng = np.random.default_rng(0)
n_samples, n_features = 8, 12
X = rng.standard_normal((n_samples, n_features))
y = rng.standard_normal(n_samples)
# the regressors fit the target scaled to unit root mean square (without an intercept),
# so that J and the formula below compare the same program
y = y / np.sqrt(np.mean(y**2))


def closed_form_value(y, alpha):
    """J* from the formula: per sign, alpha*rho - alpha^2/2 below rho, else rho^2/2."""
    value = 0.0
    for part in (np.maximum(y, 0), np.maximum(-y, 0)):
        rho = np.sqrt(np.mean(part**2))
        value += alpha * rho - alpha**2 / 2 if alpha < rho else rho**2 / 2
    return value


# %%
# "auto" picks the closed form here
# ---------------------------------
# No intercept and no sample weights, as in the formula; ``spectral_power=0`` (plain
# batch normalization) is required by the closed form.

model = ConvexBNRegressor(alpha=0.3, fit_intercept=False, spectral_power=0.0).fit(X, y)
print(f"solver chosen by 'auto': {model.solver_}, {model.n_neurons_} neurons, "
      f"objective J = {model.objective_:.8f}, formula {closed_form_value(y, 0.3):.8f}")

# %%
# Closed form versus CVXPY along a path of alpha
# ----------------------------------------------

alphas = np.geomspace(0.02, 1.5, 8)
rows = []
for alpha in alphas:
    params = dict(alpha=alpha, fit_intercept=False, spectral_power=0.0)
    exact = ConvexBNRegressor(solver="closed_form", **params).fit(X, y)
    conic = ConvexBNRegressor(solver="cvxpy", n_patterns=3000, random_state=0, **params)
    conic.fit(X, y)
    rows.append((alpha, exact.objective_, conic.objective_, closed_form_value(y, alpha),
                 exact.n_neurons_, conic.n_patterns_))

print(f"{'alpha':>8} {'closed form J':>14} {'cvxpy J':>14} {'formula J*':>14} "
      f"{'neurons':>8} {'patterns':>9}")
for alpha, j_exact, j_conic, j_formula, neurons, patterns in rows:
    print(f"{alpha:8.4f} {j_exact:14.8f} {j_conic:14.8f} {j_formula:14.8f} "
          f"{neurons:8d} {patterns:9d}")
gaps = [abs(r[1] - r[2]) / r[1] for r in rows]
print(f"largest relative difference closed form / cvxpy: {max(gaps):.1e}")

# %%
# The optimal outputs are the soft-thresholded target: positive and negative parts
# shrink separately, each by its own factor, and vanish once ``alpha`` exceeds their
# root mean square.

fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
ax = axes[0]
dense = np.geomspace(alphas[0], alphas[-1], 200)
ax.plot(dense, [closed_form_value(y, a) for a in dense], "k-", label="formula $J^*$")
ax.plot(alphas, [r[1] for r in rows], "o", mfc="none", ms=9, label='solver="closed_form"')
ax.plot(alphas, [r[2] for r in rows], "x", ms=7, label='solver="cvxpy"')
ax.set(xscale="log", xlabel=r"$\alpha$", ylabel="objective J", title="optimal value")
ax.legend()

ax = axes[1]
order = np.argsort(y)
for alpha in (0.05, 0.3, 0.8):
    fit = ConvexBNRegressor(alpha=alpha, fit_intercept=False, spectral_power=0.0,
                            solver="closed_form").fit(X, y)
    ax.plot(y[order], fit.predict(X)[order], "o-", label=rf"$\alpha$ = {alpha}")
ax.plot(y[order], y[order], "k--", lw=1, label="f = y")
ax.set(xlabel="target y", ylabel="network output on the training rows",
       title="soft-thresholding of the target")
ax.legend()
plt.show()
