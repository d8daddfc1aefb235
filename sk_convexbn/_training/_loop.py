"""The epoch loop of gradient descent on J, and its stopping rule.

:func:`train_bn_network` minimizes J over the parameters of a
:class:`~sk_convexbn._core._module.BNModule` by Adam (:class:`Adam`), SGD or
L-BFGS: it runs epochs (:func:`run_epoch`) until a :class:`StoppingRule` says stop,
and returns the trained parameters and the per-epoch history.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from .._core._log import IterationLog
from .._core._losses import Loss
from .._core._module import BNModule
from .._core._penalty import SpectralPenalty
from .._core._warnings import warn

LOG_EVERY = 100  # epochs between two progress lines at verbose=1


@dataclass
class GDResult:
    """Trained parameters (NumPy) and the history of a gradient-descent run."""

    hidden_weights: np.ndarray  # (n_features, n_neurons), in input space
    bn_scale: np.ndarray
    bn_shift: np.ndarray
    output_weights: np.ndarray  # (n_neurons, n_outputs)
    intercept: np.ndarray
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    n_iter: int = 0


@dataclass
class GDConfig:
    """Settings of :func:`train_bn_network` (names as in scikit-learn's MLP, defaults as
    the GD estimators')."""

    solver: str = "adam"
    learning_rate_init: float = 1e-2
    momentum: float = 0.9
    batch_size: int | None = None
    max_iter: int = 500
    tol: float = 1e-4
    n_iter_no_change: int = 10
    early_stopping: bool = False
    verbose: int = 0
    #: called after each epoch as ``progress(iteration=epoch, objective=J)``
    progress: Callable[..., Any] | None = None


class StoppingRule:
    """Stop after ``n_iter_no_change`` epochs without an improvement larger than ``tol``.

    The value watched is minimized: the epoch's loss, or minus the validation score
    with early stopping, as in :class:`sklearn.neural_network.MLPClassifier`. With
    ``keep_best``, the parameters of the best epoch are kept for :meth:`restore`.
    """

    def __init__(self, tol: float, n_iter_no_change: int, keep_best: bool = False):
        self.tol, self.n_iter_no_change, self.keep_best = tol, n_iter_no_change, keep_best
        self.best, self.stale, self.best_state = math.inf, 0, None

    def update(self, value: float, net: torch.nn.Module) -> bool:
        """Record one epoch's ``value``; True when training should stop."""
        self.stale = 0 if value < self.best - self.tol else self.stale + 1
        if value < self.best:
            self.best = value
            if self.keep_best:
                self.best_state = copy.deepcopy(net.state_dict())
        return self.stale >= self.n_iter_no_change

    def restore(self, net: torch.nn.Module) -> None:
        """Put the best epoch's parameters back into ``net`` (with ``keep_best``)."""
        if self.best_state is not None:
            net.load_state_dict(self.best_state)


def objective(net: BNModule, X, Y, c, loss: Loss, alpha: float,
              penalty: SpectralPenalty) -> torch.Tensor:
    """J on a batch: ``sum_i c_i l(f(x_i), y_i) + alpha/2 (sum kappa gamma^2 + beta^2 + ||V||^2)``."""
    return loss.value(net(X, c), Y, c) + penalty.value(net.W, net.gamma, net.beta, net.V, alpha)


class Adam:
    """Adam with the defaults and the arithmetic of ``torch.optim.Adam``, bit for bit.

    ``torch.optim``'s optimizers import ``torch._dynamo`` (and SymPy) when the first
    one is built: about a second at the first fit of a process, as long as a whole
    digits fit by Adam. The default solver therefore does without them.

    Parameters
    ----------
    params : list of Tensor
    lr : float
    betas : tuple of float
    eps : float

    Notes
    -----
    With ``g`` the gradient at step ``t``: ``m = beta1 m + (1 - beta1) g``,
    ``v = beta2 v + (1 - beta2) g^2`` and
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.
    """

    def __init__(self, params, lr: float, betas: tuple = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.first = [torch.zeros_like(p) for p in self.params]
        self.second = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        value = closure()
        self.t += 1
        step_size = self.lr / (1 - self.beta1**self.t)
        scale = (1 - self.beta2**self.t) ** 0.5
        with torch.no_grad():
            for p, m, v in zip(self.params, self.first, self.second):
                if p.grad is None:
                    continue
                m.lerp_(p.grad, 1 - self.beta1)
                v.mul_(self.beta2).addcmul_(p.grad, p.grad, value=1 - self.beta2)
                p.addcdiv_(m, (v.sqrt() / scale).add_(self.eps), value=-step_size)
        return value


def _make_optimizer(params, config: GDConfig):
    if config.solver == "adam":
        return Adam(params, lr=config.learning_rate_init)
    if config.solver == "sgd":
        return torch.optim.SGD(params, lr=config.learning_rate_init, momentum=config.momentum,
                               nesterov=config.momentum > 0)
    if config.solver == "lbfgs":
        return torch.optim.LBFGS(params, lr=config.learning_rate_init, max_iter=20,
                                 history_size=20, line_search_fn="strong_wolfe")
    raise ValueError(f"unknown solver {config.solver!r}")


def run_epoch(optimizer: Any, batch_objective, X: torch.Tensor,
              Y: torch.Tensor, w: torch.Tensor, batch_size: int,
              generator: torch.Generator) -> float:
    """One pass over the rows in (shuffled) batches; the weighted mean batch objective.

    ``batch_objective(X_b, Y_b, c_b)`` is J on a batch with row weights ``c_b``
    summing to one; each batch counts in the mean with its total weight.
    """
    n = X.shape[0]
    order = (torch.randperm(n, generator=generator, device="cpu").to(X.device)
             if batch_size < n else None)
    total = 0.0
    for first in range(0, n, batch_size):
        rows = order[first:first + batch_size] if order is not None else slice(None)
        Xb, Yb, wb = X[rows], Y[rows], w[rows]
        cb = wb / wb.sum()

        def closure():
            optimizer.zero_grad()
            value = batch_objective(Xb, Yb, cb)
            value.backward()
            return value

        value = optimizer.step(closure)
        total += float(value.detach()) * float(wb.sum())
    return total / float(w.sum())


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to("cpu", torch.float64).numpy()


def train_bn_network(
    net: BNModule,
    X: torch.Tensor,
    Y: torch.Tensor,
    w: torch.Tensor,
    loss: Loss,
    alpha: float,
    config: GDConfig,
    generator: torch.Generator,
    *,
    penalty: SpectralPenalty | None = None,
    score=None,
) -> GDResult:
    """Minimize J over the network's parameters by a torch optimizer, in place.

    Parameters
    ----------
    net : BNModule
        Initial parameters (trained in place).
    X, Y : torch.Tensor
        Training rows and encoded targets.
    w : torch.Tensor
        Positive row weights.
    loss : Loss
    alpha : float
    config : GDConfig
    generator : torch.Generator
        Shuffles the mini-batches (the run is reproducible on CPU).
    penalty : SpectralPenalty or None
        Spectral weighting of the penalty (plain weight decay if None).
    score : callable (net) -> float or None
        With ``config.early_stopping``: the score of held-out rows (higher is
        better), computed after every epoch; the best epoch's parameters are
        restored at the end.

    Returns
    -------
    GDResult
        ``loss_curve`` holds, per epoch, the mean of the batch objectives (the full
        objective J with full batches).

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` epochs run without the stopping rule being met, as
        :class:`sklearn.neural_network.MLPClassifier` warns.

    Notes
    -----
    Stopping: after ``n_iter_no_change`` epochs without an improvement of the loss
    (or, with early stopping, of the validation score) larger than ``tol``, as in
    :class:`sklearn.neural_network.MLPClassifier`; else after ``max_iter`` epochs.
    """
    penalty = SpectralPenalty() if penalty is None else penalty
    batch = X.shape[0] if config.batch_size is None else min(int(config.batch_size), X.shape[0])
    optimizer = _make_optimizer(list(net.parameters()), config)
    stopping = StoppingRule(config.tol, config.n_iter_no_change, keep_best=config.early_stopping)
    log = IterationLog("gd", config.verbose, every=LOG_EVERY, unit="epoch")
    loss_curve, scores = [], []
    epoch, converged = 0, False
    for epoch in range(1, config.max_iter + 1):
        epoch_loss = run_epoch(
            optimizer, lambda Xb, Yb, cb: objective(net, Xb, Yb, cb, loss, alpha, penalty),
            X, Y, w, batch, generator)
        if not math.isfinite(epoch_loss):
            raise FloatingPointError(
                f"the objective became {epoch_loss} at epoch {epoch}: lower "
                "learning_rate_init or use solver='lbfgs'."
            )
        loss_curve.append(epoch_loss)
        if config.early_stopping:
            scores.append(score(net))
        converged = stopping.update(-scores[-1] if config.early_stopping else epoch_loss, net)
        log(epoch, f"J {epoch_loss:.8f}" + (f"  validation score {scores[-1]:.6f}"
                                              if config.early_stopping else ""),
            details=f"epochs without improvement {stopping.stale}",
            last=converged or epoch == config.max_iter)
        if config.progress is not None:
            config.progress(iteration=epoch, objective=epoch_loss)
        if converged:
            break
    if not converged:
        warn(
            f"gradient descent stopped at max_iter={config.max_iter} epochs before the "
            f"loss stopped improving by more than tol={config.tol:g} for "
            f"{config.n_iter_no_change} epochs; increase max_iter.",
            ConvergenceWarning,
        )
    stopping.restore(net)
    return GDResult(
        hidden_weights=_to_numpy(net.W), bn_scale=_to_numpy(net.gamma),
        bn_shift=_to_numpy(net.beta), output_weights=_to_numpy(net.V),
        intercept=_to_numpy(net.b), loss_curve=loss_curve, validation_scores=scores,
        n_iter=epoch,
    )
