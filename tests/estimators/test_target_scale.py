"""Regressors on targets of any scale: a standardized fit, the network of the user's target.

Each regressor fits ``(y - m) / s`` (m the mean of each output, s one scale for all
outputs) and stores the network mapped back to ``y``: predictions and ``to_torch`` are
exact for ``y``; ``objective_`` is J of the standardized problem, which is J of the
stored network on ``y`` at ``alpha * s``, divided by ``s**2``. Everything here is
recomputed from ``y`` with NumPy and torch, not with the library's own helpers.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from sk_convexbn import ConvexBNRegressor, ConvexBNRegressorCV, GDBNRegressor

from conftest import short_gd_run, spectral_penalty_factors, torch_objective


def _raw_target(rng, n=50, n_outputs=None):
    """Features of unit scale and a target of mean ~300 and spread ~80 (diabetes-like)."""
    X = rng.standard_normal((n, 3)) * np.array([2.0, 1.0, 0.5])
    f = np.abs(X[:, :1] - 0.3) - 0.5 * X[:, 1:2] + 0.1 * rng.standard_normal((n, 1))
    if n_outputs is not None:
        f = f + 0.3 * rng.standard_normal((n, n_outputs))
    y = 300.0 + 80.0 * f
    return X, (y[:, 0] if n_outputs is None else y)


def _shift_and_scale(y, fit_intercept, sample_weight=None):
    Y = np.asarray(y, dtype=float).reshape(len(y), -1)
    m = np.average(Y, axis=0, weights=sample_weight) if fit_intercept else np.zeros(Y.shape[1])
    s = np.sqrt(np.mean(np.average((Y - m) ** 2, axis=0, weights=sample_weight)))
    return m, s


def _gd(**kwargs):
    return GDBNRegressor(**{"hidden_layer_sizes": 10, "max_iter": 100, "random_state": 0,
                            **kwargs})


def _check_exact_for_the_users_target(model, X, y, alpha, *, power=0.0, fit_intercept=True,
                                      sample_weight=None):
    m, s = _shift_and_scale(y, fit_intercept, sample_weight)
    assert s > 10  # the target is not standardized already
    rows = np.repeat(np.arange(len(X)), 1 if sample_weight is None else sample_weight)
    factors = spectral_penalty_factors(X[rows], model.hidden_weights_, power) if power else None
    J_of_y = torch_objective(model, X[rows], np.asarray(y)[rows], alpha * s,
                             penalty_factors=factors)
    assert model.objective_ == pytest.approx(J_of_y / s**2, rel=1e-6)
    predicted = model.predict(X).reshape(len(X), -1)
    with torch.no_grad():
        exported = model.to_torch()(torch.tensor(X)).numpy()
    np.testing.assert_allclose(exported, predicted, rtol=1e-12, atol=1e-9)
    hidden = np.maximum((X @ model.hidden_weights_ - model.bn_mean_) / model.bn_std_
                        * model.bn_scale_ + model.bn_shift_, 0.0)
    np.testing.assert_allclose(hidden @ model.output_weights_ + model.intercept_, predicted,
                               rtol=1e-12, atol=1e-9)
    # fitted on y's scale: the training error is small against y's spread
    assert np.sqrt(np.mean((predicted - np.reshape(y, predicted.shape)) ** 2)) < 0.5 * s


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_outputs", [None, 2])
def test_convex_regressor_is_exact_for_a_raw_target(rng, fit_intercept, n_outputs):
    X, y = _raw_target(rng, n_outputs=n_outputs)
    model = ConvexBNRegressor(alpha=2e-2, n_patterns=40, fit_intercept=fit_intercept,
                              spectral_power=0.0, solver="cvxpy", random_state=0).fit(X, y)
    assert model.n_neurons_ > 1
    _check_exact_for_the_users_target(model, X, y, 2e-2, fit_intercept=fit_intercept)


def test_convex_regressor_defaults_are_exact_with_weights_and_spectral_power(rng):
    X, y = _raw_target(rng)
    w = rng.integers(0, 4, len(X))
    model = ConvexBNRegressor(n_patterns=40, random_state=0).fit(X, y, sample_weight=w)
    assert model.spectral_power == 1.0 and model.solver_ == "working_set"
    _check_exact_for_the_users_target(model, X, y, model.alpha, power=1.0, sample_weight=w)


@short_gd_run
@pytest.mark.parametrize("n_outputs", [None, 2])
def test_gd_regressor_is_exact_for_a_raw_target(rng, n_outputs):
    X, y = _raw_target(rng, n_outputs=n_outputs)
    model = _gd(alpha=1e-2).fit(X, y)
    _check_exact_for_the_users_target(model, X, y, 1e-2)


@short_gd_run
@pytest.mark.parametrize("make", [
    lambda: ConvexBNRegressor(n_patterns=30, random_state=0),
    lambda: _gd(alpha=1e-2),
])
def test_the_fit_does_not_depend_on_the_targets_scale_and_offset(rng, make):
    X, y = _raw_target(rng)
    small = make().fit(X, (y - 300.0) / 80.0)
    raw = make().fit(X, y)
    # the same standardized problem: the same J, neurons and (mapped) predictions
    assert raw.objective_ == pytest.approx(small.objective_, rel=1e-6)
    assert raw.n_neurons_ == small.n_neurons_
    np.testing.assert_allclose(raw.predict(X), 300.0 + 80.0 * small.predict(X), rtol=1e-6)


@short_gd_run
def test_gd_starts_from_a_stored_network_as_it_is(rng):
    X, y = _raw_target(rng)
    convex = ConvexBNRegressor(alpha=1e-2, n_patterns=30, random_state=0).fit(X, y)
    tuned = _gd(alpha=1e-2, spectral_power=1.0, init=convex, learning_rate_init=1e-4).fit(X, y)
    # the first epoch's J is the convex network's, in the same standardized units
    assert tuned.loss_curve_[0] == pytest.approx(convex.objective_, rel=1e-6)
    model = _gd(alpha=1e-2, warm_start=True, max_iter=20, n_iter_no_change=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        first = model.objective_
        model.fit(X, y)
    assert model.loss_curve_[0] == pytest.approx(first, rel=1e-6)


def test_a_constant_target_is_predicted_exactly(rng):
    X = rng.standard_normal((30, 3))
    y = np.full(30, 123.25)
    with pytest.warns(UserWarning, match="no neuron"):
        model = ConvexBNRegressor(n_patterns=10, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), y)


def test_cv_grid_and_choice_do_not_depend_on_the_targets_scale(rng):
    X, y = _raw_target(rng, n=60)
    kwargs = dict(alphas=4, n_patterns=15, cv=3, random_state=0)
    raw = ConvexBNRegressorCV(**kwargs).fit(X, y)
    small = ConvexBNRegressorCV(**kwargs).fit(X, (y - 300.0) / 80.0)
    np.testing.assert_allclose(raw.alphas_, small.alphas_, rtol=1e-9)
    np.testing.assert_allclose(raw.scores_, small.scores_, rtol=1e-6, atol=1e-9)
    assert raw.alpha_ == small.alpha_
    np.testing.assert_allclose(raw.predict(X), 300.0 + 80.0 * small.predict(X), rtol=1e-6)
