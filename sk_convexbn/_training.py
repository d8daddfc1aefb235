"""Gradient-descent training of the non-convex BN network in PyTorch.

The model is the usual ``Linear -> BatchNorm1d -> ReLU -> Linear`` with BN in
training mode (batch statistics), trained on the objective J of the library:
weight decay on the BN scales and shifts and on the output weights, none on the
first layer (BN makes the network invariant to the scale of each hidden weight
vector, so that decay is vacuous and not part of J).

``train_bn_network`` takes validated arrays and returns the trained parameters and
the per-epoch history; the estimators in :mod:`sk_convexbn._estimators._gd` only
validate and translate.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from ._core._log import IterationLog
from ._core._losses import Loss
from ._core._penalty import SpectralPenalty
from ._core._statistics import weighted_moments
from ._core._warnings import warn

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
    """Settings of :func:`train_bn_network` (names as in scikit-learn's MLP)."""

    solver: str = "adam"
    learning_rate_init: float = 1e-2
    momentum: float = 0.9
    batch_size: int | None = None
    max_iter: int = 1000
    tol: float = 1e-6
    n_iter_no_change: int = 50
    early_stopping: bool = False
    verbose: int = 0
    #: called after each epoch as ``progress(iteration=epoch, objective=J)``
    progress: Callable[..., Any] | None = None


class BNModule(torch.nn.Module):
    """``relu(gamma * (X W - mean_B) / std_B + beta) V + b`` with batch statistics.

    ``W = basis @ coefficients`` when a basis of first-layer directions is given (the
    top principal directions, for ``n_components``), else ``W = coefficients``.
    ``output_mask`` (n_neurons, n_outputs) of zeros and ones restricts which outputs
    each neuron feeds (one each: the architecture of the convex program). BN
    statistics are the (weighted) mean and biased standard deviation of the batch,
    without ``eps`` (a neuron with a constant pre-activation gets a tiny floor instead).
    """

    def __init__(self, coefficients, gamma, beta, V, b, basis=None, output_mask=None):
        super().__init__()
        self.coefficients = torch.nn.Parameter(coefficients)
        self.gamma = torch.nn.Parameter(gamma)
        self.beta = torch.nn.Parameter(beta)
        self.b = torch.nn.Parameter(b)
        self.register_buffer("basis", basis if basis is not None else torch.empty(0))
        self.register_buffer("output_mask",
                             output_mask if output_mask is not None else torch.empty(0))
        self.output_weights = torch.nn.Parameter(V if output_mask is None else V * output_mask)

    @property
    def W(self) -> torch.Tensor:
        return self.basis @ self.coefficients if self.basis.numel() else self.coefficients

    @property
    def V(self) -> torch.Tensor:
        """Output weights; with an ``output_mask``, each neuron feeds only its outputs."""
        if self.output_mask.numel():
            return self.output_weights * self.output_mask
        return self.output_weights

    def forward(self, X: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Outputs on a batch ``X`` with row weights ``c`` (summing to 1)."""
        H = X @ self.W
        mean, std = weighted_moments(H, c, floor=torch.finfo(H.dtype).tiny ** 0.5)
        A = self.gamma * (H - mean) / std + self.beta
        return torch.relu(A) @ self.V + self.b

    def outputs_with_statistics_of(self, X_train, c_train, X) -> torch.Tensor:
        """Eval-mode outputs on ``X`` with the BN statistics of the rows ``X_train``."""
        with torch.no_grad():
            W = self.W
            mean, std = weighted_moments(X_train @ W, c_train, floor=1e-300)
            A = torch.relu(self.gamma * (X @ W - mean) / std + self.beta)
            return A @ self.V + self.b


def objective(net: BNModule, X, Y, c, loss: Loss, alpha: float,
              penalty: SpectralPenalty) -> torch.Tensor:
    """J on a batch: ``sum_i c_i l(f(x_i), y_i) + alpha/2 (sum kappa gamma^2 + beta^2 + ||V||^2)``."""
    return loss.value(net(X, c), Y, c) + penalty.value(net.W, net.gamma, net.beta, net.V, alpha)


def _make_optimizer(params, config: GDConfig):
    if config.solver == "adam":
        return torch.optim.Adam(params, lr=config.learning_rate_init)
    if config.solver == "sgd":
        return torch.optim.SGD(params, lr=config.learning_rate_init, momentum=config.momentum,
                               nesterov=config.momentum > 0)
    if config.solver == "lbfgs":
        return torch.optim.LBFGS(params, lr=config.learning_rate_init, max_iter=20,
                                 history_size=20, line_search_fn="strong_wolfe")
    raise ValueError(f"unknown solver {config.solver!r}")


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
    n = X.shape[0]
    batch = n if config.batch_size is None else min(int(config.batch_size), n)
    optimizer = _make_optimizer(list(net.parameters()), config)
    result = GDResult(*(None,) * 5)
    best_value, best_state, stale = math.inf, None, 0
    log = IterationLog("gd", config.verbose, every=LOG_EVERY, unit="epoch")
    epoch, converged = 0, False
    for epoch in range(1, config.max_iter + 1):
        order = (torch.randperm(n, generator=generator, device="cpu").to(X.device)
                 if batch < n else None)
        total = 0.0
        for first in range(0, n, batch):
            rows = order[first:first + batch] if order is not None else slice(None)
            Xb, Yb, wb = X[rows], Y[rows], w[rows]
            cb = wb / wb.sum()

            def closure():
                optimizer.zero_grad()
                value = objective(net, Xb, Yb, cb, loss, alpha, penalty)
                value.backward()
                return value

            value = optimizer.step(closure)
            total += float(value.detach()) * float(wb.sum())
        epoch_loss = total / float(w.sum())
        if not math.isfinite(epoch_loss):
            raise FloatingPointError(
                f"the objective became {epoch_loss} at epoch {epoch}: lower "
                "learning_rate_init or use solver='lbfgs'."
            )
        result.loss_curve.append(epoch_loss)
        if config.early_stopping:
            current = -score(net)
            result.validation_scores.append(-current)
        else:
            current = epoch_loss
        stale = 0 if current < best_value - config.tol else stale + 1
        if current < best_value:
            best_value = current
            if config.early_stopping:
                best_state = copy.deepcopy(net.state_dict())
        converged = stale >= config.n_iter_no_change
        log(epoch, f"J {epoch_loss:.8f}" + (f"  validation score {-current:.6f}"
                                              if config.early_stopping else ""),
            details=f"epochs without improvement {stale}",
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
    if best_state is not None:
        net.load_state_dict(best_state)
    result.n_iter = epoch
    to_np = lambda t: t.detach().to("cpu", torch.float64).numpy()  # noqa: E731
    result.hidden_weights = to_np(net.W)
    result.bn_scale, result.bn_shift = to_np(net.gamma), to_np(net.beta)
    result.output_weights, result.intercept = to_np(net.V), to_np(net.b)
    return result
