"""scikit-learn contract: check_estimator, composition, persistence, input validation."""

import inspect
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_convexbn import (
    ConvexBNClassifier,
    ConvexBNClassifierCV,
    ConvexBNRegressor,
    ConvexBNRegressorCV,
    GDBNClassifier,
    GDBNRegressor,
)

from conftest import empty_network_expected, short_gd_run

#: Checks that take tens of seconds on these estimators (the CV classifier fits every
#: fold at every alpha), marked slow. The same checks run by default on
#: ConvexBNRegressor, ConvexBNRegressorCV and GDBNClassifier (and, but for the first
#: row, on ConvexBNClassifier, whose fit the CV classifier's paths repeat).
SLOW_CHECKS = {
    "ConvexBNClassifier": {"check_dtype_object"},
    "ConvexBNClassifierCV": {"check_class_weight_classifiers", "check_dtype_object",
                             "check_sample_weight_equivalence_on_dense_data",
                             "check_supervised_y_2d", "check_sample_weights_list",
                             "check_fit_score_takes_y"},
}


def _mark_slow_checks(parametrize):
    """``parametrize_with_checks``'s parametrization, the SLOW_CHECKS in it marked slow."""
    cases = []
    for case in parametrize.args[1]:
        values, marks = (case.values, case.marks) if hasattr(case, "marks") else (case, ())
        estimator, check = values
        name = getattr(check, "func", check).__name__
        if name in SLOW_CHECKS.get(type(estimator).__name__, ()):
            marks = (*marks, pytest.mark.slow)
        cases.append(pytest.param(*values, marks=marks))
    return pytest.mark.parametrize(*parametrize.args[:1], cases, **parametrize.kwargs)


@short_gd_run  # max_iter=100
@empty_network_expected  # a CV estimator may choose alpha_max on the checks' noise data
@_mark_slow_checks(parametrize_with_checks(
    [ConvexBNRegressor(n_patterns=20, random_state=0),
     # fewer patterns and epochs than the defaults keep the ~60 checks quick
     ConvexBNClassifier(n_patterns=20, random_state=0),
     GDBNRegressor(max_iter=100, random_state=0),
     GDBNClassifier(max_iter=100, random_state=0),
     ConvexBNRegressorCV(alphas=3, n_patterns=5, cv=2, random_state=0),
     ConvexBNClassifierCV(alphas=3, n_patterns=5, cv=2, random_state=0)],
))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.fixture
def data(rng):
    X = rng.standard_normal((40, 3))
    y = np.maximum(X[:, 0], 0) - X[:, 1] + 0.1 * rng.standard_normal(40)
    return X, y


def test_predictions_do_not_depend_on_the_batch(data, rng):
    X, y = data
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=30, random_state=0).fit(X, y)
    full = model.predict(X)
    rows = rng.permutation(40)[:7]
    np.testing.assert_allclose(model.predict(X[rows]), full[rows], rtol=1e-12)
    np.testing.assert_allclose(model.predict(X[3:4]), full[3:4], rtol=1e-12)


def test_pipeline_grid_search_clone_and_pickle(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), ConvexBNRegressor(n_patterns=20, random_state=0))
    grid = [1e-3, 1e-1]
    search = GridSearchCV(pipe, {"convexbnregressor__alpha": grid}, cv=3).fit(X, y)
    # the search picks the alpha with the best mean score over the same folds
    scores = [cross_val_score(clone(pipe).set_params(convexbnregressor__alpha=a), X, y,
                              cv=3).mean() for a in grid]
    assert search.best_params_["convexbnregressor__alpha"] == grid[int(np.argmax(scores))]
    assert search.best_score_ == pytest.approx(max(scores))
    fitted = search.best_estimator_
    unfitted = clone(fitted)
    assert not hasattr(unfitted[-1], "hidden_weights_")
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    for name in ["hidden_weights_", "bn_mean_", "bn_std_", "bn_scale_", "bn_shift_",
                 "output_weights_", "intercept_"]:
        assert type(getattr(fitted[-1], name)) is np.ndarray


def test_fit_does_not_modify_inputs(data, rng):
    X, y = data
    w = rng.uniform(0.5, 1.5, 40)
    X0, y0, w0 = X.copy(), y.copy(), w.copy()
    ConvexBNRegressor(n_patterns=10, random_state=0).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_is_rejected(data, bad):
    X, y = data
    X = X.copy()
    X[2, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        ConvexBNRegressor().fit(X, y)


def test_one_sample_is_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="1 sample"):
        ConvexBNRegressor().fit(X[:1], y[:1])


def test_wrong_number_of_features_at_predict(data):
    X, y = data
    model = ConvexBNRegressor(n_patterns=10, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        model.predict(X[:, :2])


def test_n_components_above_rank(data):
    X, y = data
    with pytest.raises(ValueError, match="n_components=5 is larger than the numerical rank 3"):
        ConvexBNRegressor(n_components=5).fit(X, y)


def test_zero_weight_rows_take_no_part(data):
    X, y = data
    w = np.ones(40)
    w[:5] = 0.0
    Xw = X.copy()
    Xw[:5] = 1e3  # wild rows with zero weight must not move BN statistics
    a = ConvexBNRegressor(n_patterns=20, random_state=0).fit(Xw, y, sample_weight=w)
    b = ConvexBNRegressor(n_patterns=20, random_state=0).fit(X[5:], y[5:])
    assert a.objective_ == pytest.approx(b.objective_, rel=1e-6)
    np.testing.assert_allclose(a.predict(X[5:]), b.predict(X[5:]), atol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: ConvexBNRegressor(n_patterns=10, random_state=0),
    lambda: ConvexBNClassifier(n_patterns=10, random_state=0),
    lambda: GDBNRegressor(hidden_layer_sizes=5, max_iter=5, random_state=0),
    lambda: GDBNClassifier(hidden_layer_sizes=5, max_iter=5, random_state=0),
    lambda: ConvexBNRegressorCV(alphas=2, n_patterns=10, cv=2, random_state=0),
    lambda: ConvexBNClassifierCV(alphas=2, n_patterns=10, cv=2, random_state=0),
], ids=["ConvexBNRegressor", "ConvexBNClassifier", "GDBNRegressor", "GDBNClassifier",
        "ConvexBNRegressorCV", "ConvexBNClassifierCV"])
def test_every_parameter_and_fitted_attribute_is_documented(make):
    from sk_convexbn._estimators._base import docstring_entries

    model = make()
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y if is_classifier(model) else y.astype(float))
    cls = type(model)

    def names(section):
        entries = docstring_entries(cls, section)
        undescribed = [n for n, text in entries.items() if len(text.splitlines()) < 2
                       and n != "n_features_in_"]
        assert not undescribed, f"{cls.__name__}: no description for {undescribed}"
        return {part.strip() for name in entries for part in name.split(",")}

    assert set(inspect.signature(cls).parameters) == names("Parameters")
    fitted = {k for k in vars(model) if k.endswith("_") and not k.startswith("_")}
    fitted |= {k for k, v in inspect.getmembers(cls)
               if isinstance(v, property) and k.endswith("_") and not k.startswith("_")}
    assert fitted <= names("Attributes"), sorted(fitted - names("Attributes"))
