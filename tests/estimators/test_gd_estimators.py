"""GDBNRegressor / GDBNClassifier: gradient descent on the same J as the convex models."""


import numpy as np
import pytest
from sklearn.datasets import load_iris

from sklearn.exceptions import ConvergenceWarning

from sk_convexbn import ConvexBNRegressor, GDBNClassifier, GDBNRegressor

from conftest import short_gd_run, spectral_penalty_factors, standardized, torch_objective


@pytest.fixture
def line_data(rng):
    n = 20
    x = np.linspace(-2, 2, n) + rng.uniform(-0.03, 0.03, n)
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(n)
    return x[:, None], y


def test_gradient_descent_never_beats_the_convex_optimum(line_data):
    X, y = line_data
    alpha = 1e-2
    convex = ConvexBNRegressor(alpha=alpha, n_patterns=5000, solver="cvxpy",
                               random_state=0).fit(X, y)
    assert convex.n_patterns_ == 2 * (len(y) - 1) + 1  # every pattern of 1-D data
    for seed in range(3):
        gd = GDBNRegressor(alpha=alpha, random_state=seed).fit(X, y)  # default settings
        assert gd.objective_ >= convex.objective_ * (1 - 1e-6), seed
        assert gd.objective_ <= convex.objective_ * 1.05, (seed, gd.objective_ / convex.objective_)


@short_gd_run
@pytest.mark.parametrize("batch_size", [None, 8])
def test_regressor_objective_equals_independent_J(line_data, batch_size):
    X, y = line_data
    y = standardized(y)
    model = GDBNRegressor(alpha=1e-2, hidden_layer_sizes=10, batch_size=batch_size, max_iter=200,
                          random_state=0).fit(X, y)
    assert model.objective_ == pytest.approx(torch_objective(model, X, y, 1e-2), rel=1e-6)
    assert len(model.loss_curve_) == model.n_iter_
    np.testing.assert_allclose(model.bn_std_, 1.0, rtol=1e-10)


@short_gd_run
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_classifier_objective_equals_independent_J(loss):
    X, y = load_iris(return_X_y=True)
    model = GDBNClassifier(loss=loss, alpha=1e-2, hidden_layer_sizes=10, max_iter=200,
                           random_state=0).fit(X, y)
    target = y if loss == "log_loss" else np.eye(3)[y]
    assert model.objective_ == pytest.approx(
        torch_objective(model, X, target, 1e-2, loss=loss), rel=1e-6)
    assert model.score(X, y) > 0.9


@short_gd_run
def test_start_from_a_convex_solution(line_data):
    X, y = line_data
    convex = ConvexBNRegressor(alpha=1e-2, n_patterns=5000, solver="cvxpy",
                               random_state=0).fit(X, y)
    tuned = GDBNRegressor(alpha=1e-2, init=convex, learning_rate_init=1e-3, max_iter=50,
                          random_state=0).fit(X, y)
    assert tuned.hidden_weights_.shape == convex.hidden_weights_.shape
    # the first epoch starts at the convex optimum; descent cannot go below it
    assert tuned.loss_curve_[0] == pytest.approx(convex.objective_, rel=1e-6)
    assert tuned.objective_ >= convex.objective_ * (1 - 1e-6)
    assert tuned.objective_ <= convex.objective_ * 1.01


@short_gd_run
@pytest.mark.parametrize("n_components, power", [(2, 0.0), (3, 1.0)])
def test_encodings_mean_the_same_as_in_the_convex_models(rng, n_components, power):
    X = rng.standard_normal((60, 4)) * np.array([2.0, 1.0, 0.5, 0.2])
    y = standardized(np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.standard_normal(60))
    model = GDBNRegressor(alpha=1e-2, hidden_layer_sizes=10, n_components=n_components,
                          spectral_power=power, max_iter=200, random_state=0).fit(X, y)
    factors = spectral_penalty_factors(X, model.hidden_weights_, power, n_components)
    assert model.objective_ == pytest.approx(
        torch_objective(model, X, y, 1e-2, penalty_factors=factors), rel=1e-6)
    _, _, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    inside = Vt[:n_components].T @ (Vt[:n_components] @ model.hidden_weights_)
    np.testing.assert_allclose(model.hidden_weights_, inside, atol=1e-10)


def test_early_stopping_keeps_the_best_epochs_network():
    X, y = load_iris(return_X_y=True)
    model = GDBNClassifier(hidden_layer_sizes=10, early_stopping=True, n_iter_no_change=10,
                           max_iter=300, random_state=0).fit(X, y)
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.n_iter_ == len(model.validation_scores_)
    # the returned network scores best_validation_score_ on the held-out rows (the
    # same split: train_test_split with the estimator's generator, as in fit)
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state

    rng = check_random_state(0)
    rng.randint(2**31 - 1)  # the draw that seeds the torch generator
    _, X_val, _, y_val = train_test_split(X, y, test_size=0.1, random_state=rng, stratify=y)
    assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_)


def test_warm_start_continues_from_the_previous_fit(line_data):
    X, y = line_data
    kwargs = dict(hidden_layer_sizes=8, max_iter=30, n_iter_no_change=1000, random_state=0)
    model = GDBNRegressor(warm_start=True, **kwargs)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    first = model.loss_curve_[-1]
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    with pytest.warns(ConvergenceWarning):
        cold = GDBNRegressor(**kwargs).fit(X, y)
    # the first fit was a cold fit; the second starts where it ended, not where
    # a cold fit starts, and ends lower
    assert first == cold.loss_curve_[-1]
    assert model.loss_curve_[0] <= first * 1.05 < cold.loss_curve_[0]
    assert model.objective_ < cold.objective_


@short_gd_run
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_other_solvers(line_data, solver):
    X, y = line_data
    model = GDBNRegressor(hidden_layer_sizes=10, solver=solver, max_iter=100,
                          batch_size=10 if solver == "sgd" else None,
                          learning_rate_init=0.1 if solver == "sgd" else 1.0,
                          random_state=0).fit(X, y)
    assert np.isfinite(model.objective_) and model.score(X, y) > 0.5


def test_hidden_layer_sizes_must_be_one_layer(line_data):
    X, y = line_data
    with pytest.raises(ValueError, match="exactly one hidden layer"):
        GDBNRegressor(hidden_layer_sizes=(10, 10)).fit(X, y)


@short_gd_run
def test_single_output_neurons():
    X, y = load_iris(return_X_y=True)
    model = GDBNClassifier(hidden_layer_sizes=9, neuron_outputs="one", alpha=1e-2,
                           max_iter=200, random_state=0).fit(X, y)
    feeds = np.abs(model.output_weights_) > 0
    np.testing.assert_array_equal(feeds.sum(axis=1), 1)  # one output per neuron
    np.testing.assert_array_equal(feeds.argmax(axis=1), np.arange(9) % 3)
    assert model.objective_ == pytest.approx(torch_objective(model, X, y, 1e-2, loss="log_loss"),
                                             rel=1e-6)
    assert model.score(X, y) > 0.9


def test_verbose_prints_a_line_every_100_epochs_and_the_last(line_data, capsys):
    X, y = line_data
    model = GDBNRegressor(hidden_layer_sizes=5, max_iter=250, n_iter_no_change=1000,
                          verbose=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[2] for line in out] == ["1", "100", "200", "250"]
    assert out[-1].startswith("[gd] epoch    250  J ") and out[-1].endswith("s")
    with pytest.warns(ConvergenceWarning):
        model.set_params(verbose=2, max_iter=20).fit(X, y)
    assert len(capsys.readouterr().out.splitlines()) == 20
