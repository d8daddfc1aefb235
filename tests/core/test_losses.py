"""Losses: values, gradients and Hessians against autograd, conjugates, the optimal intercept."""

import numpy as np
import pytest
import torch

from sk_convexbn._core._losses import LogisticLoss, SoftmaxLoss, SquaredLoss, make_loss


def _data(loss, n=7, seed=0):
    rng = np.random.default_rng(seed)
    C = 1 if isinstance(loss, LogisticLoss) else 3
    F = torch.tensor(rng.standard_normal((n, C)))
    if isinstance(loss, SquaredLoss):
        Y = torch.tensor(rng.standard_normal((n, C)))
    elif isinstance(loss, LogisticLoss):
        Y = torch.tensor(rng.integers(0, 2, (n, 1)).astype(float))
    else:
        Y = torch.tensor(np.eye(C)[rng.integers(0, C, n)])
    c = torch.tensor(rng.uniform(0.5, 2.0, n))
    return F, Y, c / c.sum()


LOSSES = [SquaredLoss(), LogisticLoss(), SoftmaxLoss()]


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: type(loss).__name__)
def test_values_against_torch_functional(loss):
    F, Y, _ = _data(loss)
    if isinstance(loss, SquaredLoss):
        expected = 0.5 * ((F - Y) ** 2).sum(1)
    elif isinstance(loss, LogisticLoss):
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            F[:, 0], Y[:, 0], reduction="none")
    else:
        expected = torch.nn.functional.cross_entropy(F, Y.argmax(1), reduction="none")
    torch.testing.assert_close(loss.row_values(F, Y), expected)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: type(loss).__name__)
def test_gradients_and_hessians_against_autograd(loss):
    F, Y, _ = _data(loss)
    for i in range(F.shape[0]):
        f = F[i].clone().requires_grad_()
        value = loss.row_values(f[None], Y[i][None])[0]
        (grad,) = torch.autograd.grad(value, f)
        torch.testing.assert_close(loss.row_gradients(F[i][None], Y[i][None])[0], grad)
        hessian = torch.autograd.functional.hessian(
            lambda g: loss.row_values(g[None], Y[i][None])[0], F[i])
        torch.testing.assert_close(loss.row_hessians(F[i][None], Y[i][None])[0], hessian)
        assert torch.linalg.eigvalsh(hessian).max() <= loss.curvature + 1e-12
    assert loss.couples_outputs == isinstance(loss, SoftmaxLoss)


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: type(loss).__name__)
def test_conjugate_is_attained_at_the_gradient(loss):
    # Fenchel-Young: l(f) + l*(g) = <g, f> exactly when g = grad l(f), and >= otherwise
    F, Y, c = _data(loss)
    G = loss.row_gradients(F, Y)
    torch.testing.assert_close(loss.row_values(F, Y) + loss.row_conjugates(G, Y),
                               (G * F).sum(1))
    other = G * 0.7  # also in the domain of l* for the cross-entropies
    assert torch.all(loss.row_values(F, Y) + loss.row_conjugates(other, Y)
                     >= (other * F).sum(1) - 1e-12)
    # the weighted form: L*(Theta) = sum_i c_i l*(Theta_i / c_i)
    Theta = c[:, None] * G
    torch.testing.assert_close(loss.value(F, Y, c) + loss.conjugate(Theta, Y, c),
                               (Theta * F).sum())


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: type(loss).__name__)
def test_optimal_intercept_zeroes_the_gradient(loss):
    F, Y, c = _data(loss, n=40, seed=3)
    b = loss.optimal_intercept(F, Y, c, torch.zeros(F.shape[1], dtype=F.dtype))
    grad = c @ loss.row_gradients(F + b, Y)
    assert float(grad.abs().max()) < 1e-10
    # and it is a minimum: moving one output's intercept raises the loss
    # (all of them at once would not change the softmax)
    e = torch.zeros_like(b)
    e[0] = 1.0
    for step in (1e-3, -1e-3):
        assert loss.value(F + b + step * e, Y, c) > loss.value(F + b, Y, c)


def test_make_loss_picks_by_name_and_outputs():
    assert isinstance(make_loss("squared_error", 3), SquaredLoss)
    assert isinstance(make_loss("log_loss", 1), LogisticLoss)
    assert isinstance(make_loss("log_loss", 4), SoftmaxLoss)
    assert make_loss("squared_error", 1).quadratic and not make_loss("log_loss", 1).quadratic
    with pytest.raises(ValueError, match="'squared_error' or 'log_loss'"):
        make_loss("hinge", 1)


def test_optimal_intercept_when_the_ridged_hessian_is_singular_in_round_off(monkeypatch):
    # along the softmax's all-ones direction the Hessian is zero and the ridge (eps
    # relative) can vanish in round-off (met on an iris fit): least squares take over
    loss = SoftmaxLoss()
    F, Y, c = _data(loss, n=40, seed=3)
    real = torch.linalg.solve_ex
    monkeypatch.setattr(torch.linalg, "solve_ex",
                        lambda A, B: (real(A, B)[0], torch.ones((), dtype=torch.int32)))
    b = loss.optimal_intercept(F, Y, c, torch.zeros(F.shape[1], dtype=F.dtype))
    assert float((c @ loss.row_gradients(F + b, Y)).abs().max()) < 1e-10


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: type(loss).__name__)
def test_intercept_derivatives_against_autograd(loss):
    # gradient and Hessian of b -> L(F + 1 b^T), computed independently by autograd;
    # the softmax's Hessian carries (tr H / C) 1 1^T / C more (see the next test)
    F, Y, c = _data(loss, n=30, seed=1)
    b0 = torch.zeros(F.shape[1], dtype=F.dtype, requires_grad=True)
    (grad,) = torch.autograd.grad(loss.value(F + b0, Y, c), b0)
    hess = torch.autograd.functional.hessian(lambda b: loss.value(F + b, Y, c), b0.detach())
    if isinstance(loss, SoftmaxLoss):
        hess = hess + hess.trace() / F.shape[1] ** 2
    got_grad, got_hess = loss.intercept_derivatives(F, Y, c)
    torch.testing.assert_close(got_grad, grad)
    torch.testing.assert_close(got_hess, hess)


def test_softmax_intercept_hessian_is_regular_with_the_pseudo_inverse_step():
    # the summed Hessian is singular along the all-ones direction (the softmax is
    # constant along it); the returned one is positive definite and gives the same
    # Newton step as the pseudo-inverse of the summed one
    loss = SoftmaxLoss()
    F, Y, c = _data(loss, n=30, seed=1)
    grad, hess = loss.intercept_derivatives(F, Y, c)
    summed = torch.einsum("i,ijk->jk", c, loss.row_hessians(F, Y))
    torch.testing.assert_close(grad, c @ loss.row_gradients(F, Y))
    assert abs(float(grad.sum())) < 1e-15
    assert float(torch.linalg.eigvalsh(summed).min()) < 1e-15
    assert float(torch.linalg.eigvalsh(hess).min()) > 0.1 * float(summed.trace()) / 3
    torch.testing.assert_close(torch.linalg.solve(hess, grad),
                               torch.linalg.pinv(summed) @ grad, rtol=1e-10, atol=1e-14)


def test_softmax_intercept_converges_when_round_off_leaves_a_gradient_along_ones(monkeypatch):
    # class weights 1000 : 1e-4 : 1e-4 (scikit-learn's check_class_weight_classifiers):
    # the optimal intercept runs far out and the summed Hessian's curvature is ~1e-5,
    # so a round-off component of the gradient along the all-ones direction (1e-14
    # here, added on purpose) gave a Newton step of ~1e-14 / eps along it, the step
    # clamp cut every entry to that, and the intercept stopped short: the working set
    # then looped for max_iter rounds. With the curvature along ones it converges.
    loss = SoftmaxLoss()
    real = SoftmaxLoss.intercept_derivatives

    def with_round_off(self, F, Y, c):
        grad, hess = real(self, F, Y, c)
        return grad + 1e-14, hess

    monkeypatch.setattr(SoftmaxLoss, "intercept_derivatives", with_round_off)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 50)
    Y = torch.tensor(np.eye(3)[labels])
    c = torch.tensor(np.where(labels == 0, 1000.0, 1e-4))
    c = c / c.sum()
    F = torch.zeros((50, 3), dtype=torch.float64)  # an empty network
    b = loss.optimal_intercept(F, Y, c, torch.zeros(3, dtype=F.dtype))
    assert float((c @ loss.row_gradients(F + b, Y)).abs().max()) < 1e-12
