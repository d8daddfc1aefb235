"""The exact reference solver: its report and its fallback when the conic solver fails."""

from unittest import mock

import numpy as np
import pytest

from sk_convexbn import ConvexBNRegressor


@pytest.fixture
def data(rng):
    X = rng.standard_normal((40, 3))
    return X, np.abs(X[:, 0] - 0.3) - 0.5 * X[:, 1] + 0.1 * rng.standard_normal(40)


def test_cvxpy_reports_size_and_iterations(data, capsys):
    X, y = data
    model = ConvexBNRegressor(n_patterns=10, solver="cvxpy", random_state=0, verbose=1)
    model.fit(X, y)
    out = capsys.readouterr().out
    assert "variables" in out and "inequalities" in out and "objective" in out
    assert model.n_iter_ > 0 and np.isnan(model.duality_gap_)


def test_conic_solver_failure_falls_back_then_raises_with_advice(data):
    import cvxpy as cp

    X, y = data
    real_solve = cp.Problem.solve

    def flaky(problem, *args, **kwargs):
        if kwargs.get("solver") == cp.CLARABEL:
            raise cp.error.SolverError("simulated failure")
        return real_solve(problem, *args, **kwargs)

    with mock.patch.object(cp.Problem, "solve", flaky):
        with pytest.warns(Warning, match="simulated failure.*solved with SCS"):
            model = ConvexBNRegressor(solver="cvxpy", n_patterns=10, random_state=0).fit(X, y)
    assert np.isfinite(model.objective_)
    with mock.patch.object(cp.Problem, "solve", side_effect=cp.error.SolverError("boom")):
        with pytest.raises(RuntimeError, match="standardizing X.*larger.*alpha.*solver='admm'"):
            ConvexBNRegressor(solver="cvxpy", n_patterns=10).fit(X, y)
