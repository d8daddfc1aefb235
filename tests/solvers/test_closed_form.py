"""The closed form on full-row-rank data against the exact CVXPY reference over every pattern."""

import numpy as np
import pytest

from sk_convexbn import ConvexBNClassifier, ConvexBNRegressor
from sk_convexbn._core._losses import make_loss
from sk_convexbn._program import ConvexProgram
from sk_convexbn._solvers import solve_closed_form


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_closed_form_matches_cvxpy_on_full_row_rank_data(rng, fit_intercept, weighted):
    X = rng.standard_normal((8, 12))
    y = rng.standard_normal((8, 2))
    w = rng.uniform(0.5, 2.0, 8) if weighted else None
    # alpha=0.3 on y's own scale s: the regressors fit (y - m) / s, at alpha / s
    centred = y - np.average(y, axis=0, weights=w) if fit_intercept else y
    scale = np.sqrt(np.mean(np.average(centred**2, axis=0, weights=w)))
    kwargs = dict(alpha=0.3 / scale, fit_intercept=fit_intercept, spectral_power=0.0)
    closed = ConvexBNRegressor(solver="closed_form", **kwargs).fit(X, y, sample_weight=w)
    cvx = ConvexBNRegressor(solver="cvxpy", n_patterns=20000, random_state=0,
                            **kwargs).fit(X, y, sample_weight=w)
    assert cvx.n_patterns_ == 2**8 - 1  # every sign pattern of a square Z
    assert closed.objective_ == pytest.approx(cvx.objective_, rel=1e-6)
    np.testing.assert_allclose(closed.predict(X), cvx.predict(X), atol=1e-5)
    Xnew = rng.standard_normal((5, 12))
    np.testing.assert_allclose(closed.predict(Xnew), cvx.predict(Xnew), atol=1e-4)
    assert closed.n_neurons_ <= 4  # at most two neurons per output
    assert closed.solver_ == "closed_form" and closed.n_iter_ == 0
    assert closed.duality_gap_ == 0.0


def test_closed_form_for_one_hot_targets(rng):
    X = rng.standard_normal((8, 12))
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    model = ConvexBNClassifier(loss="squared_error", alpha=0.1, spectral_power=0).fit(X, y)
    assert model.solver_ == "closed_form"
    cvx = ConvexBNClassifier(loss="squared_error", alpha=0.1, spectral_power=0, solver="cvxpy",
                             n_patterns=20000, random_state=0).fit(X, y)
    assert model.objective_ == pytest.approx(cvx.objective_, rel=1e-6)
    assert model.n_neurons_ <= 3  # one-hot targets: one neuron per class


def test_closed_form_solver_rejects_other_programs(rng):
    Z = np.column_stack([rng.standard_normal((6, 2)), np.ones(6)])
    program = ConvexProgram(Z, rng.standard_normal((6, 1)), np.ones(6),
                            make_loss("squared_error", 1), 0.1, False)
    with pytest.raises(ValueError, match="full row rank"):
        solve_closed_form(program)
