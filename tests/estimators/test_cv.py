"""CV estimators: the same choice as GridSearchCV, the same model as a plain fit."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

from sk_convexbn import (
    ConvexBNClassifier,
    ConvexBNClassifierCV,
    ConvexBNRegressor,
    ConvexBNRegressorCV,
)

from conftest import empty_network_expected, short_gd_run


@pytest.fixture
def regression(rng):
    X = rng.standard_normal((80, 3))
    y = np.maximum(X[:, 0], 0) - X[:, 1] + 0.3 * rng.standard_normal(80)
    return X, y


@empty_network_expected  # GridSearchCV fits at alpha_max too
def test_regressor_cv_matches_grid_search_and_a_plain_refit(regression):
    X, y = regression
    folds = KFold(3, shuffle=True, random_state=0)
    cv = ConvexBNRegressorCV(alphas=5, eps=1e-3, n_patterns=15, cv=folds,
                             random_state=0).fit(X, y)
    assert cv.alphas_.shape == (5,) and np.all(np.diff(cv.alphas_) < 0)
    assert cv.scores_.shape == (5, 3)
    search = GridSearchCV(ConvexBNRegressor(n_patterns=15, random_state=0),
                          {"alpha": list(cv.alphas_)}, cv=folds).fit(X, y)
    # warm-started path and cold fits stop at the same gap: the same held-out scores
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], cv.scores_.mean(axis=1),
                               rtol=1e-4, atol=1e-6)
    assert search.best_params_["alpha"] == cv.alpha_
    assert cv.best_score_ == pytest.approx(search.best_score_, rel=1e-4)
    plain = ConvexBNRegressor(alpha=cv.alpha_, n_patterns=15, random_state=0).fit(X, y)
    np.testing.assert_allclose(cv.predict(X), plain.predict(X), rtol=1e-8, atol=1e-10)
    assert cv.objective_ == plain.objective_
    assert cv.duality_gap_ >= 0 and cv.n_neurons_ == plain.n_neurons_


def test_grid_starts_empty_and_an_explicit_grid_is_walked_largest_first(regression):
    X, y = regression
    cv = ConvexBNRegressorCV(alphas=3, n_patterns=10, cv=2, random_state=0).fit(X, y)
    # the first grid point is alpha_max of all the data: the network there is empty
    with pytest.warns(UserWarning, match="no neuron"):
        empty = ConvexBNRegressor(alpha=cv.alphas_[0], n_patterns=10, random_state=0).fit(X, y)
    assert empty.n_neurons_ == 0
    assert cv.alphas_[-1] == pytest.approx(cv.eps * cv.alphas_[0])
    given = ConvexBNRegressorCV(alphas=[1e-3, 1e-1, 1e-2], n_patterns=10, cv=2,
                                random_state=0).fit(X, y)
    np.testing.assert_array_equal(given.alphas_, [1e-1, 1e-2, 1e-3])
    with pytest.raises(ValueError, match="alphas"):
        ConvexBNRegressorCV(alphas=[0.1, -1.0]).fit(X, y)


@empty_network_expected  # GridSearchCV fits at alpha_max too
def test_classifier_cv_searches_spectral_power_jointly():
    X, y = load_iris(return_X_y=True)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    cv = ConvexBNClassifierCV(alphas=3, n_patterns=10, cv=folds, spectral_power=[0.0, 1.0],
                              random_state=0).fit(X, y)
    assert cv.alphas_.shape == (2, 3) and cv.scores_.shape == (2, 3, 3)
    i, j = np.unravel_index(np.argmax(cv.scores_.mean(axis=2)), (2, 3))
    assert (cv.spectral_power_, cv.alpha_) == ([0.0, 1.0][i], cv.alphas_[i, j])
    search = GridSearchCV(ConvexBNClassifier(n_patterns=10, random_state=0,
                                             spectral_power=cv.spectral_power_),
                          {"alpha": list(cv.alphas_[i])}, cv=folds).fit(X, y)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               cv.scores_[i].mean(axis=1), atol=1e-12)
    plain = ConvexBNClassifier(alpha=cv.alpha_, spectral_power=cv.spectral_power_,
                               n_patterns=10, random_state=0).fit(X, y)
    np.testing.assert_array_equal(cv.classes_, plain.classes_)
    np.testing.assert_allclose(cv.predict_proba(X), plain.predict_proba(X), atol=1e-10)


def test_without_refit_the_choice_is_made_but_there_is_no_network(regression):
    from sklearn.exceptions import NotFittedError

    X, y = regression
    cv = ConvexBNRegressorCV(alphas=3, n_patterns=10, cv=2, refit=False,
                             random_state=0).fit(X, y)
    assert cv.alpha_ in cv.alphas_
    with pytest.raises(NotFittedError):
        cv.predict(X)


def test_paths_in_parallel_give_the_serial_result(regression):
    X, y = regression
    kwargs = dict(alphas=3, n_patterns=10, cv=3, random_state=0)
    serial = ConvexBNRegressorCV(**kwargs).fit(X, y)
    parallel = ConvexBNRegressorCV(n_jobs=2, **kwargs).fit(X, y)
    np.testing.assert_allclose(parallel.scores_, serial.scores_, rtol=1e-10)
    assert parallel.alpha_ == serial.alpha_


@short_gd_run  # the network that seeds the patterns
def test_init_a_fitted_network_and_weights_reach_every_fold(regression):
    from sk_convexbn import GDBNRegressor

    X, y = regression
    gd = GDBNRegressor(hidden_layer_sizes=8, max_iter=200, n_iter_no_change=10,
                       random_state=0).fit(X, y)
    w = np.linspace(0.5, 2.0, len(y))
    folds = KFold(3, shuffle=True, random_state=0)
    cv = ConvexBNRegressorCV(alphas=3, n_patterns=5, init=gd, cv=folds,
                             random_state=0).fit(X, y, sample_weight=w)
    # cold plain fits on each fold (GridSearchCV would clone init into an unfitted copy)
    cold = [[ConvexBNRegressor(alpha=a, n_patterns=5, init=gd, random_state=0)
             .fit(X[train], y[train], sample_weight=w[train]).score(X[test], y[test])
             for train, test in folds.split(X)] for a in cv.alphas_]
    np.testing.assert_allclose(cold, cv.scores_, rtol=1e-4, atol=1e-6)
    assert cv.init is gd and cv.n_patterns_ > 5  # the network's patterns were used
    # a later fit without refit keeps no network of the earlier one
    cv.set_params(refit=False).fit(X, y)
    assert not hasattr(cv, "hidden_weights_")


def test_verbose_prints_a_line_per_fold_and_alpha_and_the_choice(capsys):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    ConvexBNClassifierCV(alphas=3, n_patterns=10, cv=3, random_state=0, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    path = [line for line in lines if line.startswith("[ConvexBNClassifierCV fold")]
    assert len(path) == 3 * 3
    assert path[0].startswith("[ConvexBNClassifierCV fold 1/3] alpha 1/3 = ")
    assert all("certificate" in line and "certificate -" not in line for line in path)
    assert sum(line.startswith("[ConvexBNClassifierCV] chose alpha_=") for line in lines) == 1
    refit = [line for line in lines if line.startswith("[ConvexBNClassifierCV refit]")]
    assert len(refit) == 2 and "objective=" in refit[-1]
    assert not any(" gap -" in line for line in lines)


def test_init_auto_is_decided_once_on_all_the_data(regression, monkeypatch):
    # above the threshold on all the data, below it on each training fold: the folds
    # and the refit all get the seed's patterns, as with init="gd"
    from sk_convexbn._estimators import _convex

    X, y = regression
    monkeypatch.setattr(_convex, "AUTO_GD_ENTRIES", X.size)
    params = dict(alphas=3, n_patterns=10, cv=2, random_state=0)
    auto = ConvexBNRegressorCV(**params).fit(X, y)
    gd = ConvexBNRegressorCV(init="gd", **params).fit(X, y)
    plain = ConvexBNRegressorCV(init=None, **params).fit(X, y)
    np.testing.assert_array_equal(auto.scores_, gd.scores_)
    assert auto.n_patterns_ == gd.n_patterns_ > plain.n_patterns_
    assert not np.array_equal(auto.scores_, plain.scores_)


def test_n_patterns_0_with_a_gd_seed_needs_an_explicit_grid(regression):
    X, y = regression
    with pytest.raises(ValueError, match="alphas="):
        ConvexBNRegressorCV(init="gd", n_patterns=0, alphas=3, cv=2).fit(X, y)
    with pytest.raises(ValueError, match="no activation pattern"):  # no seed on small data
        ConvexBNRegressorCV(n_patterns=0, alphas=3, cv=2).fit(X, y)
    model = ConvexBNRegressorCV(init="gd", n_patterns=0, alphas=[0.1, 0.03], cv=2,
                                random_state=0).fit(X, y)
    assert model.n_patterns_ > 0
