"""alpha_max: the smallest alpha at which the convex program's solution is zero."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sk_convexbn import ConvexBNClassifier, ConvexBNRegressor, GDBNRegressor, alpha_max


def _data(seed=0, n=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, rng


@pytest.mark.parametrize(
    "estimator, target",
    [
        (ConvexBNRegressor(n_patterns=15, solver="cvxpy", random_state=0), "regression"),
        (ConvexBNRegressor(n_patterns=15, solver="cvxpy", fit_intercept=False,
                           spectral_power=1.0, random_state=1), "regression"),
        (ConvexBNClassifier(n_patterns=10, solver="cvxpy", random_state=0), "binary"),
        (ConvexBNClassifier(n_patterns=8, solver="cvxpy", random_state=0), "multiclass"),
        (ConvexBNClassifier(loss="squared_error", n_patterns=8, solver="cvxpy",
                            random_state=2), "multiclass"),
    ],
)
def test_alpha_max_is_where_the_network_empties(estimator, target):
    X, rng = _data()
    if target == "regression":
        y = np.maximum(X[:, 0], 0) - X[:, 1] + 0.1 * rng.standard_normal(len(X))
    elif target == "binary":
        y = np.where(X[:, 0] * X[:, 1] > 0, "yes", "no")
    else:
        y = np.digitize(X[:, 0] + X[:, 2] ** 2, [0.0, 1.0])
    a = alpha_max(X, y, estimator=estimator)
    assert a > 0
    with pytest.warns(UserWarning, match="no neuron"):
        above = clone(estimator).set_params(alpha=1.1 * a).fit(X, y)
    assert above.n_neurons_ == 0
    below = clone(estimator).set_params(alpha=0.9 * a).fit(X, y)
    assert below.n_neurons_ > 0


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_alpha_max_on_the_closed_form_path(rng, fit_intercept, weighted):
    # full row rank: solver="auto" uses the closed form, which has every pattern
    X = rng.standard_normal((8, 12))
    y = rng.standard_normal(8)
    w = rng.uniform(0.5, 2.0, 8) if weighted else None
    est = ConvexBNRegressor(fit_intercept=fit_intercept, spectral_power=0.0, random_state=0)
    a = alpha_max(X, y, estimator=est, sample_weight=w)
    with pytest.warns(UserWarning, match="no neuron"):
        above = clone(est).set_params(alpha=1.001 * a).fit(X, y, sample_weight=w)
    assert above.solver_ == "closed_form" and above.n_neurons_ == 0
    below = clone(est).set_params(alpha=0.999 * a).fit(X, y, sample_weight=w)
    assert below.n_neurons_ > 0


def test_alpha_max_leaves_a_fitted_estimator_as_it_was():
    X, rng = _data(3, n=30)
    est = ConvexBNRegressor(n_patterns=5, random_state=0).fit(X, X[:, 0])
    before = {k: v.copy() for k, v in vars(est).items() if isinstance(v, np.ndarray)}
    # other data (another width): alpha_max must neither refit nor revalidate est itself
    a = alpha_max(X[:, :2], X[:, 0] ** 2, estimator=est)
    assert a == alpha_max(X[:, :2], X[:, 0] ** 2, estimator=ConvexBNRegressor(
        n_patterns=5, random_state=0))
    assert est.n_features_in_ == 3
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(est, name), value)


def test_alpha_max_rejects_other_estimators():
    X, rng = _data()
    with pytest.raises(TypeError, match="ConvexBNRegressor or a ConvexBNClassifier"):
        alpha_max(X, X[:, 0], estimator=GDBNRegressor())


def test_global_gap_agrees_with_enumeration_and_flags_a_poor_network():
    from sklearn.exceptions import ConvergenceWarning

    from sk_convexbn import global_optimality_gap

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.standard_normal(40)
    exact = ConvexBNRegressor(alpha=1e-2, n_patterns="all", tol=1e-9).fit(X, y)
    gap, minimum = global_optimality_gap(exact, X, y)
    assert minimum == pytest.approx(exact.objective_, rel=1e-12)
    assert abs(gap) <= 1e-8
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        poor = GDBNRegressor(alpha=1e-2, hidden_layer_sizes=2, max_iter=10,
                             random_state=0).fit(X, y)
        good = GDBNRegressor(alpha=1e-2, hidden_layer_sizes=40, max_iter=3000,
                             random_state=0).fit(X, y)
    poor_gap, _ = global_optimality_gap(poor, X, y)
    good_gap, _ = global_optimality_gap(good, X, y)
    assert poor_gap > 0.5  # far from the global minimum, and the certificate says so
    assert -1e-9 <= good_gap < poor_gap  # nothing goes below the global minimum
    with pytest.raises(ValueError, match="rank 1 or 2"):
        global_optimality_gap(poor, np.column_stack([X, X[:, 0] ** 2]), y)


@pytest.mark.parametrize("name", ["regression", "softmax", "logistic", "weighted"])
def test_largest_threshold_prunes_without_changing_the_maximum(name):
    from conftest import CASES, make_case

    from sk_convexbn._solvers import block_thresholds, largest_block_threshold

    program = make_case(**CASES[name])
    assert largest_block_threshold(program) == np.max(block_thresholds(program))


@pytest.mark.parametrize("name", ["regression", "softmax", "logistic", "weighted"])
def test_block_thresholds_are_the_nonnegative_least_squares_distances(name):
    """Each threshold, by its definition, computed independently with SciPy's NNLS:
    min_{lambda >= 0} ||grad_b - A_b^T lambda|| with grad_b at u = 0."""
    from conftest import CASES, make_case
    from scipy.optimize import nnls

    from sk_convexbn._solvers import block_thresholds

    program = make_case(**CASES[name])
    Y, c = program.targets, program.row_coefficients
    b = np.zeros(program.n_outputs)
    if program.fit_intercept:
        b = program.loss.optimal_intercept(
            torch.zeros(Y.shape, dtype=torch.float64), torch.as_tensor(Y), torch.as_tensor(c),
            torch.as_tensor(b)).numpy()
    G = c[:, None] * program.loss.row_gradients(
        torch.as_tensor(np.zeros(Y.shape) + b), torch.as_tensor(Y)).numpy()
    pattern, sign, output = program.block_layout()
    expected = []
    for k in range(program.n_blocks):
        D = program.patterns[:, pattern[k]]
        gradient = sign[k] * program.Z.T @ (D * G[:, output[k]])
        cone = ((2.0 * D - 1.0)[:, None] * program.Z).T
        expected.append(nnls(cone, gradient, maxiter=50 * program.n_samples)[1])
    scale = max(expected)
    np.testing.assert_allclose(block_thresholds(program), expected, rtol=1e-7,
                               atol=1e-9 * scale)


def test_one_alpha_max_rule_whatever_alpha_and_init_gd():
    """alpha_max covers the program before any training: with init="gd" it neither
    runs the seed nor depends on the estimator's alpha, and the CV grid starts there."""
    from sk_convexbn import ConvexBNRegressorCV

    X, rng = _data()
    y = np.maximum(X[:, 0], 0) - X[:, 1]
    est = ConvexBNRegressor(init="gd", n_patterns=20, random_state=0)
    values = {alpha_max(X, y, estimator=clone(est).set_params(alpha=a)) for a in (1e-3, 1.0)}
    assert len(values) == 1
    (top,) = values
    assert top == alpha_max(X, y, estimator=clone(est).set_params(init=None))
    cv = ConvexBNRegressorCV(init="gd", n_patterns=20, alphas=3, cv=2, random_state=0)
    assert cv.fit(X, y).alphas_[0] == top
