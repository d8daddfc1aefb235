"""Gradient-descent training: its stopping rules, and its implicit bias in the whitened basis.

The implicit bias (the theory page, "Implicit regularization of gradient descent"):
gradient descent on the first layer, seen in the whitened basis, is scaled by
sigma_k^2. The BN network depends on a hidden weight vector ``w`` only through ``a = S V^T w``
(the pre-activation is ``Xc w = U a`` with ``Xc = U S V^T``). A gradient step on
``w`` therefore moves ``a`` by ``-lr S V^T V S grad_a = -lr S^2 grad_a``: direction k
of the whitened basis moves with speed proportional to ``sigma_k^2``, while the
convex program (whitened, ``Z = sqrt(n) U``) treats every direction alike.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning

from sk_convexbn import GDBNClassifier
from sk_convexbn._core._losses import make_loss
from sk_convexbn._core._network import BNNetwork
from sk_convexbn._core._penalty import SpectralPenalty
from sk_convexbn._training import (
    BNModule,
    GDConfig,
    StoppingRule,
    fit_gd_network,
    make_gd_problem,
    objective,
    train_bn_network,
)


def _setup(seed=0, n=200, d=6, m=5):
    rng = np.random.default_rng(seed)
    sigmas = np.geomspace(10.0, 0.1, d)
    X = rng.standard_normal((n, d)) @ np.diag(sigmas) @ np.linalg.qr(rng.standard_normal((d, d)))[0]
    Y = rng.standard_normal((n, 2))
    Xc = X - X.mean(axis=0)
    _, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    t = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    params = dict(gamma=t(rng.uniform(0.5, 1.5, m)), beta=t(rng.standard_normal(m)),
                  V=t(rng.standard_normal((m, 2))), b=t(np.zeros(2)))
    return t(X), t(Y), t(S), t(Vt.T), t(rng.standard_normal((d, m))), params


def _loss(C, X, Y, params, basis=None):
    net = BNModule(C.detach().clone(), **{k: v.clone() for k, v in params.items()},
                   basis=basis)
    c = torch.full((X.shape[0],), 1.0 / X.shape[0], dtype=torch.float64)
    return objective(net, X, Y, c, make_loss("squared_error", 2), 1e-3, SpectralPenalty()), net


def test_gradient_in_the_whitened_basis_is_scaled_by_sigma_squared():
    X, Y, S, V, W, params = _setup()
    value, net = _loss(W, X, Y, params)
    value.backward()
    grad_W = net.coefficients.grad

    # the same network parametrized by its whitened coordinates a = S V^T w
    A = S[:, None] * (V.T @ W)
    value_a, net_a = _loss(A, X, Y, params, basis=V / S)
    value_a.backward()
    grad_A = net_a.coefficients.grad

    assert torch.allclose(value, value_a)
    # a step -lr grad_W moves a by -lr S V^T grad_W, which is -lr S^2 grad_A
    np.testing.assert_allclose((S[:, None] * (V.T @ grad_W)).numpy(),
                               (S[:, None] ** 2 * grad_A).numpy(), rtol=1e-9, atol=1e-12)


def _whitened_movement(X, Y, W, params, steps=50, lr=1e-3):
    """Share of the first layer's total movement (whitened coordinates) per direction."""
    Xc = X - X.mean(0)
    _, S, Vt = torch.linalg.svd(Xc, full_matrices=False)
    value, net = _loss(W, X, Y, params)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        c = torch.full((X.shape[0],), 1.0 / X.shape[0], dtype=torch.float64)
        objective(net, X, Y, c, make_loss("squared_error", 2), 1e-3,
                  SpectralPenalty()).backward()
        optimizer.step()
    moved = S[:, None] * (Vt @ (net.coefficients.detach() - W))
    return S, (moved**2).sum(1) / (moved**2).sum()


def test_gradient_descent_moves_high_variance_directions_first():
    X, Y, S, V, W, params = _setup(seed=1)
    S, share = _whitened_movement(X, Y, W, params)
    # top two of six directions (sigma from 10 down to 0.1) take nearly all the movement
    assert share[:2].sum() > 0.99
    assert share[-1] < 1e-6

    # on whitened data (every sigma equal) no direction is preferred
    Xc = X - X.mean(0)
    U, S_x, Vt = torch.linalg.svd(Xc, full_matrices=False)
    white = U * np.sqrt(X.shape[0])
    _, share_white = _whitened_movement(white, Y, W, params, lr=1e-3)
    assert share_white[:2].sum() < 0.9
    assert share_white.min() > 1e-3


def _run(config, score=None, seed=0):
    X, Y, _, _, W, params = _setup(seed)
    net = BNModule(W.clone(), **{k: v.clone() for k, v in params.items()})
    w = torch.ones(X.shape[0], dtype=torch.float64)
    result = train_bn_network(net, X, Y, w, make_loss("squared_error", 2), 1e-3, config,
                              torch.Generator().manual_seed(0), score=score)
    return result, net


def test_early_stopping_restores_the_parameters_of_the_best_epoch():
    snapshots, scores = [], [0.1, 0.5, 0.9, 0.4, 0.3, 0.2, 0.1, 0.0]

    def score(net):  # records the parameters each epoch ends with; epoch 3 is the best
        snapshots.append(net.coefficients.detach().clone())
        return scores[len(snapshots) - 1]

    config = GDConfig(early_stopping=True, n_iter_no_change=5, tol=0.0, max_iter=20)
    result, net = _run(config, score)
    assert result.n_iter == 8 and result.validation_scores == scores
    np.testing.assert_array_equal(net.coefficients.detach().numpy(), snapshots[2].numpy())
    np.testing.assert_array_equal(result.hidden_weights, snapshots[2].numpy())
    assert not np.array_equal(snapshots[2].numpy(), snapshots[-1].numpy())


def test_stopping_rule_and_the_max_iter_warning():
    with pytest.warns(ConvergenceWarning, match="max_iter=5 epochs"):
        result, _ = _run(GDConfig(max_iter=5))
    assert result.n_iter == 5 and len(result.loss_curve) == 5
    # a loose tol stops after n_iter_no_change epochs without improvement, silently
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result, _ = _run(GDConfig(max_iter=100, tol=1e6, n_iter_no_change=3))
    assert result.n_iter == 1 + 3


def test_the_stopping_rule_counts_epochs_without_improvement_beyond_tol():
    rule = StoppingRule(tol=0.1, n_iter_no_change=2)
    # 0.95, 0.45 and 0.42 improve by less than tol: the second of two such epochs stops
    assert [rule.update(v, None) for v in [1.0, 0.95, 0.5, 0.45, 0.42]] == [
        False, False, False, False, True]
    assert rule.best == 0.42 and rule.best_state is None


def test_fit_gd_network_is_the_estimators_fit_without_an_estimator():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((45, 3))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])  # three classes
    w = rng.uniform(0.0, 2.0, 45)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GDBNClassifier(hidden_layer_sizes=6, max_iter=40, early_stopping=True,
                               n_components=2, random_state=3).fit(X, y, sample_weight=w)
        fit = fit_gd_network(X, np.eye(3)[y], w, loss="log_loss", alpha=1e-3,
                             config=GDConfig(max_iter=40), n_components=2, n_neurons=6,
                             validation_fraction=0.1, scoring="accuracy", random_state=3)
    assert fit.objective == model.objective_ and fit.n_iter == model.n_iter_
    assert fit.validation_scores == model.validation_scores_
    np.testing.assert_array_equal(fit.network.hidden_weights, model.hidden_weights_)


def test_the_problem_takes_its_width_and_output_links_from_the_start_network():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 2))
    Y = rng.standard_normal((30, 3))
    V = rng.standard_normal((5, 3))
    start = BNNetwork(rng.standard_normal((2, 5)), np.zeros(5), np.ones(5), np.ones(5),
                      np.zeros(5), V, np.zeros(3))
    problem = make_gd_problem(X, Y, None, loss="squared_error", alpha=1.0, n_neurons=None,
                              neuron_outputs="one", start=start, validation_fraction=0.2,
                              random_state=0)
    assert problem.n_neurons == 5 and len(problem.rows.X) == 24
    np.testing.assert_array_equal(problem.output_mask.argmax(axis=1), np.abs(V).argmax(axis=1))
    cold = make_gd_problem(X, Y, None, loss="squared_error", alpha=1.0, n_neurons=5,
                           neuron_outputs="one")
    np.testing.assert_array_equal(cold.output_mask.argmax(axis=1), np.arange(5) % 3)
    with pytest.raises(ValueError, match="has 2 inputs and 3 outputs; this data needs 2 and 1"):
        make_gd_problem(X, Y[:, :1], None, loss="squared_error", alpha=1.0, start=start)


def test_a_first_fit_with_warm_start_is_a_cold_fit():
    X, y = load_iris(return_X_y=True)
    kwargs = dict(hidden_layer_sizes=7, neuron_outputs="one", max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = GDBNClassifier(warm_start=True, **kwargs).fit(X, y)
        cold = GDBNClassifier(**kwargs).fit(X, y)
    assert warm.objective_ == cold.objective_
    np.testing.assert_array_equal(warm.output_weights_ != 0, cold.output_weights_ != 0)


def test_adam_takes_torch_adams_steps_bit_for_bit():
    from sk_convexbn._training._loop import Adam

    rng = np.random.default_rng(0)
    A = torch.as_tensor(rng.standard_normal((30, 4)))
    start = [torch.as_tensor(rng.standard_normal(4)), torch.as_tensor(rng.standard_normal(1))]
    paths = []
    for make in (lambda ps: Adam(ps, lr=1e-2), lambda ps: torch.optim.Adam(ps, lr=1e-2)):
        params = [p.clone().requires_grad_(True) for p in start]
        optimizer = make(params)

        def closure():
            optimizer.zero_grad()
            value = torch.logaddexp(A @ params[0] + params[1], torch.zeros(())).mean()
            value.backward()
            return value

        values = [float(optimizer.step(closure).detach()) for _ in range(60)]
        paths.append((values, [p.detach().clone() for p in params]))
    assert paths[0][0] == paths[1][0]
    assert all(torch.equal(a, b) for a, b in zip(paths[0][1], paths[1][1]))
    assert not torch.equal(paths[0][1][0], start[0])
