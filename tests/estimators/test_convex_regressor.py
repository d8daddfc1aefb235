"""ConvexBNRegressor: J at the exported network, weights, encodings, the global optimum in 1-D."""

import numpy as np
import pytest
import torch

from sk_convexbn import ConvexBNRegressor

from conftest import spectral_penalty_factors, standardized, torch_objective


def _regression_data(rng, n=40, d=3, n_outputs=None):
    X = rng.standard_normal((n, d)) * np.array([2.0, 1.0, 0.5] + [1.0] * (d - 3))[:d]
    shape = (n,) if n_outputs is None else (n, n_outputs)
    y = np.abs(X[:, :1] - 0.3) - 0.5 * X[:, 1:2] + 0.1 * rng.standard_normal((n, 1))
    y = y[:, 0] if n_outputs is None else y + rng.standard_normal(shape) * 0.3
    return X, standardized(y)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_outputs", [None, 2])
def test_objective_equals_independent_J(rng, fit_intercept, n_outputs):
    X, y = _regression_data(rng, n_outputs=n_outputs)
    model = ConvexBNRegressor(alpha=2e-2, n_patterns=40, fit_intercept=fit_intercept,
                              spectral_power=0.0, solver="cvxpy", random_state=0).fit(X, y)
    assert model.n_neurons_ > 1
    J = torch_objective(model, X, y, 2e-2)
    assert model.objective_ == pytest.approx(J, rel=1e-6)
    if not fit_intercept:
        np.testing.assert_array_equal(model.intercept_, 0.0)


def test_objective_with_integer_weights_is_J_on_repeated_rows(rng):
    X, y = _regression_data(rng, n=30)
    w = rng.integers(0, 4, 30)
    y = standardized(y, w)
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=40, spectral_power=0.0, solver="cvxpy",
                              random_state=0).fit(X, y, sample_weight=w)
    Xr, yr = np.repeat(X, w, axis=0), np.repeat(y, w)
    assert model.objective_ == pytest.approx(torch_objective(model, Xr, yr, 1e-2), rel=1e-6)
    repeated = ConvexBNRegressor(alpha=1e-2, n_patterns=40, spectral_power=0.0, solver="cvxpy",
                                 random_state=0).fit(Xr, yr)
    assert repeated.objective_ == pytest.approx(model.objective_, rel=1e-6)


@pytest.mark.parametrize("n_components, power", [(2, 0.0), (3, 1.0), (2, 0.5)])
def test_objective_with_encodings(rng, n_components, power):
    X, y = _regression_data(rng, d=4)
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=40, n_components=n_components,
                              spectral_power=power, solver="cvxpy", random_state=0).fit(X, y)
    factors = spectral_penalty_factors(X, model.hidden_weights_, power, n_components)
    J = torch_objective(model, X, y, 1e-2, penalty_factors=factors)
    assert model.objective_ == pytest.approx(J, rel=1e-6)
    # first-layer weights live in the top principal subspace
    _, _, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    outside = model.hidden_weights_ - Vt[:n_components].T @ (Vt[:n_components] @ model.hidden_weights_)
    assert np.abs(outside).max() < 1e-8 * np.abs(model.hidden_weights_).max()


def _gradient_descent_J(X, y, alpha, width, seed, steps=3000):
    """Adam on the non-convex BN network, written here from scratch (training-mode BN, J)."""
    gen = torch.Generator().manual_seed(seed)
    Xt, yt = torch.tensor(X), torch.tensor(y).reshape(-1, 1)
    W = torch.randn(X.shape[1], width, generator=gen, dtype=torch.float64).requires_grad_()
    gamma = torch.ones(width, dtype=torch.float64).requires_grad_()
    beta = (0.5 * torch.randn(width, generator=gen, dtype=torch.float64)).requires_grad_()
    V = (torch.randn(width, 1, generator=gen, dtype=torch.float64) / width**0.5).requires_grad_()
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    params = [W, gamma, beta, V, b]
    opt = torch.optim.Adam(params, lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)

    def J():
        H = Xt @ W
        H = (H - H.mean(0)) / H.std(0, unbiased=False)
        F = torch.relu(gamma * H + beta) @ V + b
        penalty = (gamma**2).sum() + (beta**2).sum() + (V**2).sum()
        return 0.5 * ((F - yt) ** 2).mean() + 0.5 * alpha * penalty

    for _ in range(steps):
        opt.zero_grad()
        value = J()
        value.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        return float(J())


def test_convex_optimum_is_global_on_one_dimensional_data(rng):
    n, alpha = 20, 1e-2
    x = np.linspace(-2, 2, n) + rng.uniform(-0.03, 0.03, n)
    X = x[:, None]
    y = standardized(np.sin(2 * x) + 0.1 * rng.standard_normal(n))
    model = ConvexBNRegressor(alpha=alpha, n_patterns=5000, solver="cvxpy",
                              random_state=0).fit(X, y)
    # every pattern of 1-D data is enumerated: thresholds in both directions + all-ones
    assert model.n_patterns_ == 2 * (n - 1) + 1
    convex = model.objective_
    for seed in range(3):
        gd = _gradient_descent_J(X, y, alpha, width=30, seed=seed)
        assert gd >= convex * (1 - 1e-6), (seed, gd, convex)
        assert gd <= convex * 1.05, (seed, gd, convex)
