"""The exact reference solver: its losses, its report, its fallback when the conic solver fails."""

import subprocess
import sys
from unittest import mock

import numpy as np
import pytest
import torch

from sk_convexbn import ConvexBNRegressor
from sk_convexbn._core._losses import Loss, LogisticLoss, SoftmaxLoss, SquaredLoss
from sk_convexbn._solvers._cvxpy import cvxpy_loss_rows


def test_importing_the_package_does_not_import_cvxpy():
    code = "import sk_convexbn, sys; print('cvxpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("loss", [SquaredLoss(), LogisticLoss(), SoftmaxLoss()],
                         ids=lambda loss: type(loss).__name__)
def test_cvxpy_loss_rows_equal_the_torch_rows(loss, rng):
    import cvxpy as cp

    n, C = 7, 1 if isinstance(loss, LogisticLoss) else 3
    F = rng.standard_normal((n, C))
    if isinstance(loss, SquaredLoss):
        Y = rng.standard_normal((n, C))
    elif isinstance(loss, LogisticLoss):
        Y = rng.integers(0, 2, (n, 1)).astype(float)
    else:
        Y = np.eye(C)[rng.integers(0, C, n)]
    variable = cp.Variable((n, C))
    variable.value = F
    rows = cvxpy_loss_rows(loss, variable, Y)
    assert rows.shape == (n,) and rows.is_convex()
    expected = loss.row_values(torch.tensor(F), torch.tensor(Y)).numpy()
    np.testing.assert_allclose(rows.value, expected, rtol=1e-12, atol=1e-12)


def test_cvxpy_loss_rows_reject_an_unknown_loss():
    with pytest.raises(TypeError, match="no expression of the loss Loss"):
        cvxpy_loss_rows(Loss(), None, np.zeros((2, 1)))


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
        with pytest.raises(RuntimeError, match="standardizing X.*larger.*alpha.*solver='working_set'"):
            ConvexBNRegressor(solver="cvxpy", n_patterns=10).fit(X, y)
