"""DESIGN §5: gradient descent on the first layer, seen in the whitened basis, is scaled by sigma_k^2.

The BN network depends on a hidden weight vector ``w`` only through ``a = S V^T w``
(the pre-activation is ``Xc w = U a`` with ``Xc = U S V^T``). A gradient step on
``w`` therefore moves ``a`` by ``-lr S V^T V S grad_a = -lr S^2 grad_a``: direction k
of the whitened basis moves with speed proportional to ``sigma_k^2``, while the
convex program (whitened, ``Z = sqrt(n) U``) treats every direction alike.
"""

import numpy as np
import torch

from sk_convexbn._gd import BNNet, objective
from sk_convexbn._losses import make_loss


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
    net = BNNet(C.detach().clone(), **{k: v.clone() for k, v in params.items()}, basis=basis)
    c = torch.full((X.shape[0],), 1.0 / X.shape[0], dtype=torch.float64)
    return objective(net, X, Y, c, make_loss("squared_error", 2), 1e-3, None), net


def test_gradient_in_the_whitened_basis_is_scaled_by_sigma_squared():
    X, Y, S, V, W, params = _setup()
    value, net = _loss(W, X, Y, params)
    value.backward()
    grad_W = net.C.grad

    # the same network parametrized by its whitened coordinates a = S V^T w
    A = S[:, None] * (V.T @ W)
    value_a, net_a = _loss(A, X, Y, params, basis=V / S)
    value_a.backward()
    grad_A = net_a.C.grad

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
        objective(net, X, Y, c, make_loss("squared_error", 2), 1e-3, None).backward()
        optimizer.step()
    moved = S[:, None] * (Vt @ (net.C.detach() - W))
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
