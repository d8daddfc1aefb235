"""ConvexBNClassifier: invariants of the convex program for classification losses."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from sk_convexbn import ConvexBNClassifier

from conftest import spectral_penalty_factors, torch_objective


@pytest.fixture
def three_classes(rng):
    X = rng.standard_normal((60, 3))
    score = X[:, 0] + np.abs(X[:, 1]) - 0.5
    y = np.digitize(score, [-0.3, 0.6])
    return X, y


@pytest.fixture
def two_classes(rng):
    X = rng.standard_normal((50, 3))
    y = (np.abs(X[:, 0]) + 0.3 * rng.standard_normal(50) > 0.7).astype(int)
    return X, y


@pytest.mark.parametrize("power", [0.0, 1.0])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("problem", ["two_classes", "three_classes"])
def test_objective_equals_independent_J(request, problem, loss, power):
    X, y = request.getfixturevalue(problem)
    model = ConvexBNClassifier(loss=loss, alpha=1e-2, n_patterns=20, solver="cvxpy",
                               spectral_power=power, random_state=0).fit(X, y)
    n_classes = len(np.unique(y))
    if loss == "log_loss":
        target = y  # BCEWithLogitsLoss on 0/1, CrossEntropyLoss on class indices
    elif n_classes == 2:
        target = 2.0 * y - 1.0
    else:
        target = np.eye(n_classes)[y]
    factors = spectral_penalty_factors(X, model.hidden_weights_, power)
    J = torch_objective(model, X, target, 1e-2, loss=loss, penalty_factors=factors)
    assert model.objective_ == pytest.approx(J, rel=1e-6)
    assert model.output_weights_.shape[1] == (1 if n_classes == 2 else n_classes)


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("problem", ["two_classes", "three_classes"])
def test_working_set_matches_cvxpy(request, problem, loss):
    X, y = request.getfixturevalue(problem)
    kwargs = dict(loss=loss, alpha=1e-2, n_patterns=20, random_state=0)
    params = {"tol_gap_rel": 1e-7, "tol_feas": 1e-7} if loss == "log_loss" else None
    cvx = ConvexBNClassifier(solver="cvxpy", solver_params=params, **kwargs).fit(X, y)
    exact = ConvexBNClassifier(solver="working_set", **kwargs).fit(X, y)
    assert exact.duality_gap_ <= 1e-6
    assert exact.objective_ == pytest.approx(cvx.objective_, rel=1e-6)
    assert np.mean(exact.predict(X) == cvx.predict(X)) >= 0.95


def test_string_labels_probabilities_and_decisions(three_classes):
    X, y = three_classes
    labels = np.array(["low", "mid", "high"])[y]
    model = ConvexBNClassifier(alpha=1e-2, n_patterns=20, random_state=0).fit(X, labels)
    np.testing.assert_array_equal(model.classes_, ["high", "low", "mid"])
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), model.predict_log_proba(X), atol=1e-10)
    decision = model.decision_function(X)
    np.testing.assert_array_equal(model.predict(X), model.classes_[decision.argmax(axis=1)])
    assert set(model.predict(X)) <= set(labels)


def test_binary_decision_and_probabilities(two_classes):
    X, y = two_classes
    labels = np.where(y == 1, "yes", "no")
    model = ConvexBNClassifier(alpha=1e-2, n_patterns=20, random_state=0).fit(X, labels)
    decision = model.decision_function(X)
    assert decision.shape == (50,)
    np.testing.assert_array_equal(model.predict(X), np.where(decision > 0, "yes", "no"))
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-decision)))


def test_probabilities_only_for_log_loss(two_classes):
    X, y = two_classes
    model = ConvexBNClassifier(loss="squared_error", n_patterns=10, random_state=0).fit(X, y)
    assert not hasattr(model, "predict_proba")
    with pytest.raises(AttributeError, match="predict_proba is available with loss='log_loss'"):
        model.predict_proba(X)
    with pytest.raises(AttributeError, match="has loss='squared_error'"):
        model.predict_log_proba(X)
    probabilistic = ConvexBNClassifier(n_patterns=10, random_state=0).fit(X, y)
    assert hasattr(probabilistic, "predict_proba")
    assert ConvexBNClassifier.predict_proba.__doc__.startswith("Class probabilities")


def test_single_class_is_a_clear_error(two_classes):
    X, _ = two_classes
    with pytest.raises(ValueError, match="at least 2 classes"):
        ConvexBNClassifier().fit(X, np.zeros(len(X)))


def test_class_weight_is_a_sample_weight(three_classes):
    X, y = three_classes
    kwargs = dict(alpha=1e-2, n_patterns=20, solver="cvxpy", random_state=0)
    balanced = ConvexBNClassifier(class_weight="balanced", **kwargs).fit(X, y)
    weighted = ConvexBNClassifier(**kwargs).fit(X, y, sample_weight=compute_sample_weight(
        "balanced", y))
    assert balanced.objective_ == pytest.approx(weighted.objective_, rel=1e-6)
    as_dict = ConvexBNClassifier(class_weight={0: 2.0, 2: 0.5}, **kwargs).fit(X, y)
    by_hand = ConvexBNClassifier(**kwargs).fit(X, y, sample_weight=np.array([2.0, 1.0, 0.5])[y])
    assert as_dict.objective_ == pytest.approx(by_hand.objective_, rel=1e-6)


def test_integer_weights_are_repeated_rows(two_classes):
    X, y = two_classes
    w = np.random.default_rng(1).integers(1, 3, len(y))
    kwargs = dict(alpha=1e-2, n_patterns=20, solver="cvxpy", random_state=0)
    a = ConvexBNClassifier(**kwargs).fit(X, y, sample_weight=w)
    b = ConvexBNClassifier(**kwargs).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert a.objective_ == pytest.approx(b.objective_, rel=1e-6)


def test_iris_and_breast_cancer_are_learned():
    X, y = load_iris(return_X_y=True)
    assert ConvexBNClassifier(n_patterns=20, random_state=0).fit(X, y).score(X, y) > 0.95
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)  # spectral weighting (default) sees feature scales
    assert ConvexBNClassifier(n_patterns=20, random_state=0).fit(X, y).score(X, y) > 0.95


@pytest.mark.parametrize("labels, shown", [(np.zeros(5, dtype=int), "0"),
                                           (np.full(5, "a"), "'a'"),
                                           (np.array(["a"] * 5, dtype=object), "'a'")])
def test_single_class_error_shows_the_label_as_the_user_wrote_it(labels, shown):
    X = np.random.default_rng(0).standard_normal((5, 2))
    with pytest.raises(ValueError, match=rf"got 1 class \({shown}\)\.$"):
        ConvexBNClassifier().fit(X, labels)
