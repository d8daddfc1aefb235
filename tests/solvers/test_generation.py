"""Patterns that find good networks: from a GD network, from the dual, or all of them."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sk_convexbn import ConvexBNClassifier, ConvexBNRegressor, GDBNClassifier, GDBNRegressor
from sk_convexbn._core._patterns import enumerate_patterns, sample_patterns, search_gates

from conftest import standardized, torch_objective


def _gd(make, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make(hidden_layer_sizes=12, alpha=1e-2, max_iter=300, random_state=0,
                    **kwargs).fit(X, y)


@pytest.mark.parametrize("target", ["regression", "binary", "multiclass"])
def test_with_a_gd_networks_patterns_the_convex_optimum_is_never_above_it(rng, target):
    X = rng.standard_normal((80, 3))
    score = np.abs(X[:, 0]) - X[:, 1]
    if target == "regression":
        y, make, convex = standardized(score), GDBNRegressor, ConvexBNRegressor
        kwargs = {}
    else:
        y = (score > 0.3).astype(int) if target == "binary" else np.digitize(score, [-0.5, 0.7])
        make, convex = GDBNClassifier, ConvexBNClassifier
        kwargs = {"spectral_power": 0.0, "neuron_outputs": "one"}
    gd = _gd(make, X, y, **kwargs)
    for n_patterns in (0, 20):  # its patterns alone, and added to sampled ones
        model = convex(alpha=1e-2, n_patterns=n_patterns, init=gd, spectral_power=0.0,
                       random_state=0).fit(X, y)
        assert model.objective_ <= gd.objective_ * (1 + 1e-9)
        assert 0.0 <= model.duality_gap_ <= model.tol
    if target == "regression":
        assert model.objective_ == pytest.approx(torch_objective(model, X, y, 1e-2), rel=1e-9)


def test_pattern_search_never_increases_J_and_reaches_the_global_optimum_in_1d(rng):
    x = np.sort(rng.uniform(-2, 2, 25))
    X, y = x[:, None], np.sin(2 * x) + 0.05 * rng.standard_normal(25)
    kwargs = dict(alpha=1e-2, random_state=0)
    previous = np.inf
    for rounds in range(0, 4):  # more rounds continue the same sequence of programs
        model = ConvexBNRegressor(n_patterns=3, pattern_search=rounds, **kwargs).fit(X, y)
        assert model.objective_ <= previous * (1 + 1e-9)
        previous = model.objective_
    searched = ConvexBNRegressor(n_patterns=3, pattern_search=20, **kwargs).fit(X, y)
    exact = ConvexBNRegressor(n_patterns="all", **kwargs).fit(X, y)
    assert exact.n_patterns_ == 2 * (25 - 1) + 1
    assert searched.objective_ == pytest.approx(exact.objective_, rel=1e-6)
    assert searched.pattern_violation_ < 1e-3


def test_enumerated_patterns_are_every_pattern(rng):
    Z = np.column_stack([rng.standard_normal((12, 2)), np.ones(12)])
    patterns, gates = enumerate_patterns(Z)
    np.testing.assert_array_equal(Z @ gates >= 0, patterns)
    # n planes through the origin of R^3 in general position cut 2 (1 + (n-1) +
    # C(n-1, 2)) cells; one of them is the empty pattern
    assert patterns.shape[1] == 2 * (1 + 11 + 55) - 1
    sampled = sample_patterns(Z, 100_000, np.random.RandomState(0))
    assert {c.tobytes() for c in sampled.T} <= {c.tobytes() for c in patterns.T}
    with pytest.raises(ValueError, match="2 or 3 whitened columns"):
        enumerate_patterns(np.ones((5, 4)))


def test_search_gates_improves_every_start(rng):
    Z = np.column_stack([rng.standard_normal((50, 3)), np.ones(50)])
    r = rng.standard_normal((50, 6))
    starts = rng.standard_normal((4, 6))
    gates, values = search_gates(Z, r, starts)
    before = np.einsum("ij,ij->j", r, np.maximum(Z @ (starts / np.linalg.norm(starts, axis=0)),
                                                 0.0))
    assert np.all(values >= before - 1e-12)
    np.testing.assert_allclose(np.linalg.norm(gates, axis=0), 1.0)
    np.testing.assert_allclose(values, np.einsum("ij,ij->j", r, np.maximum(Z @ gates, 0.0)))


def test_all_patterns_needs_rank_two_or_less(rng):
    with pytest.raises(ValueError, match="rank 1 or 2"):
        ConvexBNRegressor(n_patterns="all").fit(rng.standard_normal((20, 3)),
                                                rng.standard_normal(20))
    with pytest.raises(ValueError, match="no activation pattern"):
        ConvexBNRegressor(n_patterns=0).fit(rng.standard_normal((20, 3)),
                                            rng.standard_normal(20))


def test_init_gd_seeds_the_program_with_the_same_short_gd_run(rng):
    from sk_convexbn._estimators._convex import GD_EPOCHS, GD_PATIENCE, GD_TOL, GD_WIDTH

    X = rng.standard_normal((80, 3))
    y = np.abs(X[:, 0]) - X[:, 1]
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=0, init="gd", spectral_power=0.0,
                              random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gd = GDBNRegressor(hidden_layer_sizes=GD_WIDTH, max_iter=GD_EPOCHS, alpha=1e-2,
                           tol=GD_TOL, n_iter_no_change=GD_PATIENCE, neuron_outputs="one",
                           random_state=0).fit(X, y)
    # the program has that network's patterns, so its optimum is never above its J
    assert 0 < model.n_patterns_ <= GD_WIDTH
    assert model.objective_ <= gd.objective_ * (1 + 1e-9)
    random = ConvexBNRegressor(alpha=1e-2, n_patterns=model.n_patterns_, spectral_power=0.0,
                               random_state=0).fit(X, y)
    assert model.objective_ < random.objective_


def test_init_auto_seeds_with_gd_from_the_size_threshold_on(rng, monkeypatch):
    from sk_convexbn._estimators import _convex

    X = rng.standard_normal((60, 3))
    y = np.abs(X[:, 0]) - X[:, 1]
    fits = {init: ConvexBNRegressor(alpha=1e-2, n_patterns=5, init=init,
                                    random_state=0).fit(X, y)
            for init in (None, "gd")}
    assert fits["gd"].n_patterns_ > fits[None].n_patterns_
    for threshold, same_as in ((X.size + 1, None), (X.size, "gd")):
        monkeypatch.setattr(_convex, "AUTO_GD_ENTRIES", threshold)
        auto = ConvexBNRegressor(alpha=1e-2, n_patterns=5, random_state=0).fit(X, y)
        assert auto.n_patterns_ == fits[same_as].n_patterns_
        assert auto.objective_ == fits[same_as].objective_


def test_warm_start_keeps_the_first_seed_so_the_warm_state_applies(rng):
    X = rng.standard_normal((60, 3))
    y = np.abs(X[:, 0]) - X[:, 1]
    model = ConvexBNRegressor(alpha=3e-2, n_patterns=5, init="gd", warm_start=True,
                              random_state=0).fit(X, y)
    seed, patterns = model._warm_seed, model._warm_state.patterns
    cold = ConvexBNRegressor(alpha=1e-2, n_patterns=5, init=None, random_state=0)
    model.set_params(alpha=1e-2).fit(X, y)
    assert model._warm_seed is seed  # no second seed run
    np.testing.assert_array_equal(model._warm_state.patterns, patterns)
    assert model.n_patterns_ > cold.fit(X, y).n_patterns_  # the seed's patterns are in
