"""Data-fitting terms of the objective J, in torch (solvers, objective).

Each loss is the row-weighted sum ``L(F) = sum_i c_i * l(F_i, Y_i)`` with
``c_i = w_i / N`` (``N = sum_i w_i``), evaluated on outputs ``F`` of shape
(n_samples, n_outputs) and encoded targets ``Y`` of the same shape. A loss
describes itself to the solvers (whether it couples the outputs of a row, its
curvature), so that no solver needs to know which loss it is. Their CVXPY
expressions live with the CVXPY solver (``_solvers/_cvxpy.py``), the only module
that imports cvxpy.
"""

from __future__ import annotations

import torch


class Loss:
    """Interface of a per-row convex loss ``l(f, y)`` on ``R^n_outputs``.

    Attributes
    ----------
    name : str
        The estimators' name for it (``loss=...``).
    curvature : float
        Upper bound on the largest eigenvalue of the Hessian of ``l`` in ``f``.
    couples_outputs : bool
        Whether ``l`` couples the outputs of a row (softmax); otherwise it is a sum
        of one scalar loss per output and :meth:`row_curvatures` is its Hessian.
    quadratic : bool
        Whether ``l`` is the squared error (closed-form solutions exist).
    """

    name: str = ""
    curvature: float = 1.0
    couples_outputs: bool = False
    quadratic: bool = False

    def row_values(self, F: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """``l(F_i, Y_i)`` for every row, shape (n_samples,)."""
        raise NotImplementedError

    def row_gradients(self, F: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """``grad_f l(F_i, Y_i)`` for every row, shape (n_samples, n_outputs)."""
        raise NotImplementedError

    def row_curvatures(self, F: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """Second derivative of the loss of each entry, shape (n_samples, n_outputs).

        Only for losses that do not couple outputs (the Hessian of a row is then
        diagonal).
        """
        raise NotImplementedError

    def row_hessians(self, F: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """Hessian of ``l`` at every row, shape (n_samples, n_outputs, n_outputs)."""
        return torch.diag_embed(self.row_curvatures(F, Y))

    def row_conjugates(self, G: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """``l*(G_i; Y_i)`` for every row (``G`` in the domain), shape (n_samples,)."""
        raise NotImplementedError

    def value(self, F: torch.Tensor, Y: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``L(F) = sum_i c_i l(F_i, Y_i)``."""
        return c @ self.row_values(F, Y)

    def conjugate(self, Theta: torch.Tensor, Y: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``L*(Theta) = sum_i c_i l*(Theta_i / c_i; Y_i)``."""
        return c @ self.row_conjugates(Theta / c[:, None], Y)

    def intercept_derivatives(self, F: torch.Tensor, Y: torch.Tensor, c: torch.Tensor
                              ) -> tuple[torch.Tensor, torch.Tensor]:
        """Gradient and Hessian of ``L(F + 1 b^T)`` in ``b`` at ``b = 0``:
        ``sum_i c_i grad l(F_i)`` and ``sum_i c_i H_i``."""
        return c @ self.row_gradients(F, Y), torch.einsum("i,ijk->jk", c, self.row_hessians(F, Y))

    def optimal_intercept(
        self, F: torch.Tensor, Y: torch.Tensor, c: torch.Tensor, b: torch.Tensor
    ) -> torch.Tensor:
        """Minimize ``L(F + 1 b^T)`` over the intercept ``b``, starting from ``b``.

        Newton's method on this smooth convex function of ``b``, whose Hessian is
        ``sum_i c_i H_i`` (closed form for the squared loss).
        """
        eps = torch.finfo(F.dtype).eps
        for _ in range(30):
            grad, hess = self.intercept_derivatives(F + b, Y, c)
            if float(grad.abs().max()) <= 1e3 * eps:
                break
            # A ridge keeps the solve defined where outputs saturate; the clamp is a
            # trust region.
            ridge = (eps * (1.0 + float(hess.diagonal().max()))) * torch.eye(
                hess.shape[0], dtype=hess.dtype, device=hess.device)
            step, info = torch.linalg.solve_ex(hess + ridge, grad)
            if int(info):  # the ridge lost in round-off (saturated rows): least squares
                step = torch.linalg.lstsq(hess + ridge, grad[:, None]).solution[:, 0]
            b = b - torch.clamp(step, -10.0, 10.0)
        return b


class SquaredLoss(Loss):
    """``l(f, y) = 0.5 ||f - y||^2``."""

    name = "squared_error"
    curvature = 1.0
    quadratic = True

    def row_values(self, F, Y):
        return 0.5 * torch.sum((F - Y) ** 2, dim=1)

    def row_gradients(self, F, Y):
        return F - Y

    def row_curvatures(self, F, Y):
        return torch.ones_like(F)

    def row_conjugates(self, G, Y):
        return torch.sum(0.5 * G**2 + G * Y, dim=1)

    def optimal_intercept(self, F, Y, c, b):
        return c @ (Y - F) / c.sum()


class LogisticLoss(Loss):
    """Binary cross-entropy on one logit: ``l(f, y) = log(1 + e^f) - y f``, ``y`` in {0, 1}."""

    name = "log_loss"
    curvature = 0.25

    def row_values(self, F, Y):
        return torch.sum(torch.nn.functional.softplus(F) - Y * F, dim=1)

    def row_gradients(self, F, Y):
        return torch.sigmoid(F) - Y

    def row_curvatures(self, F, Y):
        return torch.sigmoid(F) * torch.sigmoid(-F)

    def row_conjugates(self, G, Y):
        p = torch.clamp(G + Y, 0.0, 1.0)
        return torch.sum(torch.xlogy(p, p) + torch.xlogy(1.0 - p, 1.0 - p), dim=1)


class SoftmaxLoss(Loss):
    """Multinomial cross-entropy: ``l(f, y) = logsumexp(f) - y^T f``, ``y`` one-hot."""

    name = "log_loss"
    curvature = 0.5
    couples_outputs = True

    def row_values(self, F, Y):
        return torch.logsumexp(F, dim=1) - torch.sum(Y * F, dim=1)

    def row_gradients(self, F, Y):
        return _softmax(F) - Y

    def row_hessians(self, F, Y):
        P = _softmax(F)
        return torch.diag_embed(P) - P[:, :, None] * P[:, None, :]

    def intercept_derivatives(self, F, Y, c):
        """Gradient and Hessian in ``b``, the Hessian given curvature along the all-ones
        direction: the softmax is constant along it and the gradient orthogonal to it,
        so adding ``(tr H / C) 1 1^T / C`` gives the pseudo-inverse's Newton step while
        a round-off component of the gradient along it no longer produces a step of
        that size over ``eps`` (with class weights 1000 : 1e-4 such a step, cut by the
        step clamp, stopped the intercept short). Saturated directions still rely on
        the ridge of :meth:`Loss.optimal_intercept`."""
        P = _softmax(F)
        cP = c[:, None] * P
        hess = torch.diag(cP.sum(dim=0)) - cP.T @ P
        C = hess.shape[0]
        hess += float(hess.diagonal().sum()) / C**2
        return cP.sum(dim=0) - c @ Y, hess

    def row_conjugates(self, G, Y):
        p = torch.clamp(G + Y, min=0.0)
        return torch.sum(torch.xlogy(p, p), dim=1)

    def optimal_intercept(self, F, Y, c, b):
        """The optimal intercept with zero mean over the classes.

        The softmax does not change when the same constant is added to every output,
        so the optimal intercept is a line; its point of zero mean makes the fitted
        outputs (``decision_function``) unique.
        """
        b = super().optimal_intercept(F, Y, c, b)
        return b - b.mean()


def _softmax(F: torch.Tensor) -> torch.Tensor:
    """``softmax(F)`` along the rows: ``torch.softmax(F, dim=1)`` up to round-off,
    3x faster on few columns (torch's kernel is slow on short float64 rows)."""
    E = torch.exp(F - F.amax(dim=1, keepdim=True))
    return E / E.sum(dim=1, keepdim=True)


def make_loss(name: str, n_outputs: int) -> Loss:
    """The loss object for a loss name and the number of outputs of the network."""
    if name == "squared_error":
        return SquaredLoss()
    if name == "log_loss":
        return LogisticLoss() if n_outputs == 1 else SoftmaxLoss()
    raise ValueError(f"loss must be 'squared_error' or 'log_loss', got {name!r}.")
