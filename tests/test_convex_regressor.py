"""The core invariants of ConvexBNRegressor (DESIGN.md sections 3-4)."""

import numpy as np
import pytest
import torch

from sk_convexbn import ConvexBNRegressor
from sk_convexbn._losses import make_loss
from sk_convexbn._program import ConvexProgram
from sk_convexbn._solvers import solve_closed_form, solve_cvxpy
from sk_convexbn._whitening import Whitening

from conftest import spectral_penalty_factors, torch_objective


def _regression_data(rng, n=40, d=3, n_outputs=None):
    X = rng.standard_normal((n, d)) * np.array([2.0, 1.0, 0.5] + [1.0] * (d - 3))[:d]
    shape = (n,) if n_outputs is None else (n, n_outputs)
    y = np.abs(X[:, :1] - 0.3) - 0.5 * X[:, 1:2] + 0.1 * rng.standard_normal((n, 1))
    y = y[:, 0] if n_outputs is None else y + rng.standard_normal(shape) * 0.3
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_outputs", [None, 2])
def test_objective_equals_independent_J(rng, fit_intercept, n_outputs):
    X, y = _regression_data(rng, n_outputs=n_outputs)
    model = ConvexBNRegressor(alpha=2e-2, n_patterns=40, fit_intercept=fit_intercept,
                              solver="cvxpy", random_state=0).fit(X, y)
    assert model.n_neurons_ > 1
    J = torch_objective(model, X, y, 2e-2)
    assert model.objective_ == pytest.approx(J, rel=1e-6)
    if not fit_intercept:
        np.testing.assert_array_equal(model.intercept_, 0.0)


def test_objective_with_integer_weights_is_J_on_repeated_rows(rng):
    X, y = _regression_data(rng, n=30)
    w = rng.integers(0, 4, 30)
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=40, solver="cvxpy",
                              random_state=0).fit(X, y, sample_weight=w)
    Xr, yr = np.repeat(X, w, axis=0), np.repeat(y, w)
    assert model.objective_ == pytest.approx(torch_objective(model, Xr, yr, 1e-2), rel=1e-6)
    repeated = ConvexBNRegressor(alpha=1e-2, n_patterns=40, solver="cvxpy",
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
    """Adam on the non-convex BN network (training-mode BN, J of DESIGN section 2)."""
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
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(n)
    model = ConvexBNRegressor(alpha=alpha, n_patterns=5000, solver="cvxpy",
                              random_state=0).fit(X, y)
    # every pattern of 1-D data is enumerated: thresholds in both directions + all-ones
    assert model.n_patterns_ == 2 * (n - 1) + 1
    convex = model.objective_
    for seed in range(3):
        gd = _gradient_descent_J(X, y, alpha, width=30, seed=seed)
        assert gd >= convex * (1 - 1e-6), (seed, gd, convex)
        assert gd <= convex * 1.05, (seed, gd, convex)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_closed_form_matches_cvxpy_on_full_row_rank_data(rng, fit_intercept, weighted):
    X = rng.standard_normal((8, 12))
    y = rng.standard_normal((8, 2))
    w = rng.uniform(0.5, 2.0, 8) if weighted else None
    kwargs = dict(alpha=0.3, fit_intercept=fit_intercept)
    closed = ConvexBNRegressor(solver="closed_form", **kwargs).fit(X, y, sample_weight=w)
    cvx = ConvexBNRegressor(solver="cvxpy", n_patterns=20000, random_state=0,
                            **kwargs).fit(X, y, sample_weight=w)
    assert cvx.n_patterns_ == 2**8 - 1  # every sign pattern of a square Z
    assert closed.objective_ == pytest.approx(cvx.objective_, rel=1e-6)
    np.testing.assert_allclose(closed.predict(X), cvx.predict(X), atol=1e-5)
    Xnew = rng.standard_normal((5, 12))
    np.testing.assert_allclose(closed.predict(Xnew), cvx.predict(Xnew), atol=1e-4)
    assert closed.n_neurons_ <= 4  # at most two neurons per output


def test_closed_form_value_matches_design_check():
    # DESIGN.md section 4: J* = alpha*rho - alpha^2/2 per sign when alpha < rho.
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((8, 12)), rng.standard_normal(8)
    model = ConvexBNRegressor(alpha=0.3, fit_intercept=False, solver="closed_form").fit(X, y)
    value = 0.0
    for part in (np.maximum(y, 0), np.maximum(-y, 0)):
        rho = np.sqrt(np.mean(part**2))
        value += 0.3 * rho - 0.3**2 / 2 if 0.3 < rho else rho**2 / 2
    assert model.objective_ == pytest.approx(value, rel=1e-10)
    assert model.solver_ == "closed_form" and model.n_iter_ == 0


def test_auto_uses_closed_form_only_where_it_applies(rng):
    X = rng.standard_normal((8, 12))
    y = rng.standard_normal(8)
    assert ConvexBNRegressor().fit(X, y).solver_ == "closed_form"
    assert ConvexBNRegressor(spectral_power=1.0, random_state=0).fit(X, y).solver_ == "cvxpy"
    X, y = _regression_data(rng)
    assert ConvexBNRegressor(random_state=0).fit(X, y).solver_ == "cvxpy"
    with pytest.raises(ValueError, match="closed_form.*full row rank"):
        ConvexBNRegressor(solver="closed_form").fit(X, y)


def test_program_objective_equals_network_J(rng):
    """The mapped network attains exactly the convex objective (no ReLU slack)."""
    X, y = _regression_data(rng, n=30)
    wh = Whitening.fit(X)
    Z = wh.transform(X)
    from sk_convexbn._patterns import sample_patterns
    program = ConvexProgram(Z, y[:, None], np.ones(30), make_loss("squared_error", 1),
                            1e-2, True, sample_patterns(Z, 30, np.random.RandomState(0)))
    solution = solve_cvxpy(program)
    assert program.objective(solution.blocks, solution.intercept) == pytest.approx(
        solution.objective, rel=1e-9)
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=30, solver="cvxpy", random_state=0)
    model.fit(X, y)
    assert model.objective_ == pytest.approx(solution.objective, rel=1e-6)


def test_cvxpy_reports_size_and_iterations(rng, capsys):
    X, y = _regression_data(rng)
    model = ConvexBNRegressor(n_patterns=10, solver="cvxpy", random_state=0, verbose=1)
    model.fit(X, y)
    out = capsys.readouterr().out
    assert "variables" in out and "inequalities" in out and "objective" in out
    assert model.n_iter_ > 0


def test_closed_form_solver_rejects_other_programs(rng):
    Z = np.column_stack([rng.standard_normal((6, 2)), np.ones(6)])
    program = ConvexProgram(Z, rng.standard_normal((6, 1)), np.ones(6),
                            make_loss("squared_error", 1), 0.1, False)
    with pytest.raises(ValueError, match="full row rank"):
        solve_closed_form(program)
