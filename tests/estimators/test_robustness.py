"""Bad input, numerical edge cases, failures: a correct result or a clear error."""

import pickle
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from sk_convexbn import (
    ConvexBNClassifier,
    ConvexBNRegressor,
    ConvexBNRegressorCV,
    GDBNClassifier,
    GDBNRegressor,
)

from conftest import empty_network_expected, short_gd_run, standardized, torch_objective

ESTIMATORS = [
    lambda: ConvexBNRegressor(n_patterns=10, random_state=0),
    lambda: ConvexBNClassifier(n_patterns=10, random_state=0),
    pytest.param(lambda: GDBNRegressor(hidden_layer_sizes=5, max_iter=20, random_state=0),
                 marks=short_gd_run),
    pytest.param(lambda: GDBNClassifier(hidden_layer_sizes=5, max_iter=20, random_state=0),
                 marks=short_gd_run),
]


@pytest.fixture
def data(rng):
    X = rng.standard_normal((40, 3))
    y = (X[:, 0] + np.abs(X[:, 1]) > 0.5).astype(int)
    return X, y


@pytest.mark.parametrize("make", ESTIMATORS)
def test_sparse_input_is_rejected_clearly(make, data):
    X, y = data
    with pytest.raises(TypeError, match="[Ss]parse data was passed"):
        make().fit(sp.csr_matrix(X), y)


@pytest.mark.parametrize("make", ESTIMATORS)
def test_float32_non_contiguous_and_inputs_untouched(make, data):
    X, y = data
    wide = np.asfortranarray(np.repeat(X, 2, axis=1).astype(np.float32))[:, ::2]
    assert not wide.flags.c_contiguous and wide.dtype == np.float32
    before = wide.copy()
    model = make().fit(wide, y)
    np.testing.assert_array_equal(wide, before)
    reference = make().fit(X.astype(np.float32), y)
    np.testing.assert_allclose(model.predict(X), reference.predict(X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make", ESTIMATORS)
def test_pandas_feature_names_are_kept_and_checked(make, data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = make().fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b", "c"])
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["c", "b", "a"]])


@pytest.mark.parametrize("make", ESTIMATORS)
def test_constant_and_duplicate_features_are_dropped_by_the_whitening(make, data):
    X, y = data
    padded = np.column_stack([X, np.full(len(X), 7.0), X[:, 0], 2 * X[:, 1]])
    model = make().fit(padded, y)
    assert model.n_components_ == 3  # three directions of variance remain
    assert np.all(np.isfinite(model.predict(padded)))


@pytest.mark.parametrize("make", ESTIMATORS)
def test_all_constant_X_is_a_clear_error(make, data):
    _, y = data
    with pytest.raises(ValueError, match="no variance"):
        make().fit(np.ones((len(y), 3)), y)


def test_wide_data_uses_the_closed_form(rng):
    X = rng.standard_normal((10, 500))
    y = rng.standard_normal(10)
    model = ConvexBNRegressor(spectral_power=0.0).fit(X, y)
    assert model.solver_ == "closed_form" and model.n_components_ == 9


@pytest.mark.parametrize("make", ESTIMATORS)
def test_interrupted_fit_leaves_the_estimator_unfitted(make, data):
    X, y = data
    model = make().fit(X, y)
    target = ("sk_convexbn._solvers._fit.network_from_solution"
              if "Convex" in type(model).__name__
              else "sk_convexbn._training._fit.normalized_network")
    with mock.patch(target, side_effect=KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y)
    assert not hasattr(model, "hidden_weights_") and not hasattr(model, "objective_")
    assert not hasattr(model, "n_features_in_")


@pytest.mark.parametrize("make", ESTIMATORS)
def test_reproducible_across_runs_pickling_and_numpy_state(make, data):
    X, y = data
    a, b = make().fit(X, y), make().fit(X, y)
    np.testing.assert_array_equal(a.hidden_weights_, b.hidden_weights_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict(X), a.predict(X))
    assert all(type(getattr(a, name)) is np.ndarray for name in
               ["hidden_weights_", "bn_mean_", "bn_std_", "bn_scale_", "bn_shift_",
                "output_weights_", "intercept_"])
    fresh = clone(a)
    assert not hasattr(fresh, "hidden_weights_")


@pytest.mark.parametrize(
    "make, params, name",
    [(ConvexBNRegressor, {"solver": "newton"}, "solver"),
     (ConvexBNRegressor, {"alpha": 0.0}, "alpha"),
     (ConvexBNRegressor, {"alpha": -1.0}, "alpha"),
     (ConvexBNRegressor, {"n_patterns": -1}, "n_patterns"),
     (ConvexBNRegressor, {"pattern_search": -1}, "pattern_search"),
     (GDBNClassifier, {"neuron_outputs": "some"}, "neuron_outputs"),
     (ConvexBNRegressor, {"spectral_power": -1.0}, "spectral_power"),
     (ConvexBNRegressor, {"tol": 0.0}, "tol"),
     (ConvexBNRegressor, {"max_iter": 0}, "max_iter"),
     (ConvexBNRegressor, {"n_components": 0}, "n_components"),
     (ConvexBNRegressor, {"solver_params": "fast"}, "solver_params"),
     (ConvexBNClassifier, {"loss": "hinge"}, "loss"),
     (ConvexBNClassifier, {"class_weight": "even"}, "class_weight"),
     (GDBNRegressor, {"solver": "rmsprop"}, "solver"),
     (GDBNRegressor, {"learning_rate_init": 0.0}, "learning_rate_init"),
     (GDBNRegressor, {"validation_fraction": 1.0}, "validation_fraction"),
     (GDBNClassifier, {"momentum": 1.5}, "momentum"),
     (GDBNClassifier, {"batch_size": 0}, "batch_size"),
     (GDBNClassifier, {"init": "convex"}, "init")],
)
def test_invalid_hyperparameters_name_the_parameter(data, make, params, name):
    X, y = data
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        make(**params).fit(X, y)


def test_unavailable_gpu_for_gradient_descent(data):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    X, y = data
    with pytest.raises(ValueError, match="no CUDA device"):
        GDBNClassifier(device="cuda").fit(X, y)


@empty_network_expected  # where alpha is above the drawn data's alpha_max
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    X=arrays(np.float64, st.tuples(st.integers(8, 20), st.integers(1, 3)),
             elements=st.floats(-3, 3, allow_nan=False, width=32)),
    seed=st.integers(0, 2**16),
    alpha=st.sampled_from([1e-2, 1e-1]),
)
def test_property_objective_finite_predictions_and_invariances(X, seed, alpha):
    rng = np.random.default_rng(seed)
    if np.linalg.matrix_rank(X - X.mean(axis=0)) == 0:
        return  # no variance: covered by test_all_constant_X_is_a_clear_error
    y = standardized(np.sin(X @ rng.standard_normal(X.shape[1]))
                     + 0.1 * rng.standard_normal(len(X)))
    model = ConvexBNRegressor(alpha=alpha, n_patterns=10, spectral_power=0.0, solver="cvxpy",
                              random_state=0)
    model.fit(X, y)
    assert model.objective_ == pytest.approx(torch_objective(model, X, y, alpha), rel=1e-6)
    pred = model.predict(X)
    assert np.all(np.isfinite(pred))
    order = rng.permutation(len(X))
    np.testing.assert_allclose(model.predict(X[order]), pred[order], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.predict(X[:3]), pred[:3], rtol=1e-12, atol=1e-12)


@empty_network_expected  # recorded by pytest.warns below, then shown again
def test_warnings_point_at_the_users_call():
    from sklearn.exceptions import ConvergenceWarning

    from sk_convexbn import GDBNRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = np.abs(X[:, 0])
    with pytest.warns(ConvergenceWarning) as convex:
        ConvexBNRegressor(n_patterns=10, max_iter=1, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning) as gd:
        GDBNRegressor(max_iter=2, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning) as cv:  # from the folds, run through joblib
        ConvexBNRegressorCV(alphas=2, n_patterns=10, cv=2, max_iter=1, random_state=0).fit(X, y)
    assert {w.filename for w in [*convex, *gd, *cv]} == {__file__}


def test_estimators_work_where_scikit_learn_has_no_callbacks(monkeypatch):
    from sk_convexbn._estimators import _progress

    class Counter:  # would count every task reported, were callbacks supported
        calls = 0

        def setup(self, estimator, context):
            Counter.calls += 1

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            Counter.calls += 1

        def on_fit_task_end(self, estimator, context):
            Counter.calls += 1

    monkeypatch.setattr(_progress, "callbacks_supported", lambda estimator: False)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = np.abs(X[:, 0])
    reference = ConvexBNRegressor(n_patterns=10, random_state=0)
    if hasattr(reference, "set_callbacks"):
        reference.set_callbacks(Counter())
    reference.fit(X, y)
    assert Counter.calls == 0  # nothing was reported, and the fit is complete
    with_cv = ConvexBNRegressorCV(alphas=2, n_patterns=10, cv=2, random_state=0).fit(X, y)
    assert with_cv.alpha_ in with_cv.alphas_ and reference.duality_gap_ <= reference.tol


def test_an_empty_network_is_announced():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    with pytest.warns(UserWarning, match="no neuron at alpha=10"):
        model = ConvexBNRegressor(alpha=10.0, n_patterns=10, random_state=0).fit(X, X[:, 0])
    assert model.n_neurons_ == 0
