"""Gradient descent on a :class:`GDProblem`: initialisation, training, the fitted network.

:func:`fit_gd_network` trains a network from validated arrays, with no estimator:
the GD estimators call it, and so can any code that needs a gradient-descent
network (e.g. to seed the convex program's patterns).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state

from .._core._device import resolve_device
from .._core._module import BNModule
from .._core._network import BNNetwork, normalized_network
from ._loop import GDConfig, train_bn_network
from ._problem import GDProblem, make_gd_problem


@dataclass
class GDFit:
    """A trained network and the history of its training.

    Attributes
    ----------
    network : BNNetwork
        Normalized to unit training standard deviation.
    objective : float
        J of ``network`` on the training rows.
    loss_curve : list of float
        Mean objective over the batches of each epoch.
    n_iter : int
        Number of epochs run.
    validation_scores : list of float
        Score of the held-out rows after each epoch (empty without them).
    n_components : int
        Number of whitened directions of the training rows.
    """

    network: BNNetwork
    objective: float
    loss_curve: list
    n_iter: int
    validation_scores: list
    n_components: int


def initial_parameters(problem: GDProblem, generator: torch.Generator, dtype: torch.dtype
                       ) -> tuple[torch.Tensor, ...]:
    """``(coefficients, gamma, beta, V, b)`` on the CPU: the start network's, or random.

    Random: Gaussian first-layer coefficients, ``gamma = 1``, ``beta = 0``, output
    weights uniform in ``+-1/sqrt(n_neurons)`` and the bias at the weighted mean of
    the targets (zero without ``fit_intercept``).
    """
    start, basis = problem.start, problem.basis
    if start is not None:
        W = np.asarray(start.hidden_weights, dtype=np.float64)
        C = W if basis is None else basis.T @ W  # the part in the principal subspace
        return tuple(torch.as_tensor(np.array(a, dtype=np.float64), dtype=dtype) for a in (
            C, start.bn_scale, start.bn_shift, start.output_weights, start.intercept))
    width, n_outputs = problem.n_neurons, problem.n_outputs
    rows = problem.n_features if basis is None else basis.shape[1]
    C = torch.randn(rows, width, generator=generator, dtype=dtype)
    gamma = torch.ones(width, dtype=dtype)
    beta = torch.zeros(width, dtype=dtype)
    bound = 1.0 / np.sqrt(width)
    V = (torch.rand(width, n_outputs, generator=generator, dtype=dtype) * 2 - 1) * bound
    targets = problem.rows.targets
    b = torch.as_tensor(problem.rows.coefficients @ targets if problem.fit_intercept
                        else np.zeros(n_outputs), dtype=dtype)
    return C, gamma, beta, V, b


def validation_score(scoring: str, F: np.ndarray, Y: np.ndarray) -> float:
    """Score of outputs ``F`` against encoded targets ``Y`` (higher is better).

    ``"r2"``: the coefficient of determination; ``"accuracy"``: the share of rows
    whose predicted class (the sign of a single output, else the largest) is right.
    """
    if scoring == "r2":
        return r2_score(Y, F)
    if F.shape[1] == 1:
        predicted, truth = (F[:, 0] > 0).astype(int), (Y[:, 0] > 0).astype(int)
    else:
        predicted, truth = F.argmax(axis=1), Y.argmax(axis=1)
    return float(np.mean(predicted == truth))


def train_gd_problem(problem: GDProblem, config: GDConfig, *, seed: int,
                     device: str = "cpu") -> GDFit:
    """Train the problem's network from its start (``seed`` draws a random one).

    Parameters
    ----------
    problem : GDProblem
    config : GDConfig
        Optimizer and stopping settings; early stopping is on exactly when the
        problem has held-out rows.
    seed : int
        Seeds the local torch generator (initialisation and mini-batches).
    device : {"cpu", "cuda", "cuda:N", "auto"}
        Where training runs (float64 on the CPU, float32 on CUDA).

    Returns
    -------
    GDFit
    """
    device = resolve_device(device)
    dtype = torch.float64 if device.type == "cpu" else torch.float32
    # a copy: the rows may be a read-only view of the caller's data (e.g. pandas)
    as_t = lambda a: torch.tensor(np.asarray(a), dtype=dtype, device=device)  # noqa: E731
    generator = torch.Generator().manual_seed(seed)
    params = initial_parameters(problem, generator, dtype)
    net = BNModule(*(p.to(device) for p in params),
                   basis=None if problem.basis is None else as_t(problem.basis),
                   output_mask=None if problem.output_mask is None else as_t(problem.output_mask))
    if not problem.fit_intercept:
        net.b.requires_grad_(False)
    rows = problem.rows
    X_t, Y_t, w_t = as_t(rows.X), as_t(rows.targets), as_t(rows.weights)
    score = None
    if problem.validation is not None:
        X_val, Y_val = as_t(problem.validation[0]), problem.validation[1]
        score = lambda net: validation_score(  # noqa: E731
            problem.scoring,
            net.outputs_with_statistics_of(X_t, w_t / w_t.sum(), X_val).cpu().numpy(), Y_val)
    result = train_bn_network(
        net, X_t, Y_t, w_t, problem.loss, problem.alpha,
        replace(config, early_stopping=problem.validation is not None), generator,
        penalty=problem.penalty, score=score)
    network = normalized_network(rows.X, rows.sample_weight, result.hidden_weights,
                                 result.bn_scale, result.bn_shift, result.output_weights,
                                 result.intercept)
    objective = network.objective(rows.X, rows.targets, rows.sample_weight, problem.loss,
                                  problem.alpha, problem.penalty)
    return GDFit(network=network, objective=objective, loss_curve=result.loss_curve,
                 n_iter=result.n_iter, validation_scores=result.validation_scores,
                 n_components=rows.whitening.n_directions)


def fit_gd_network(
    X: np.ndarray,
    targets: np.ndarray,
    sample_weight: np.ndarray | None,
    *,
    loss: str,
    alpha: float,
    config: GDConfig | None = None,
    random_state=None,
    device: str = "cpu",
    **problem_options,
) -> GDFit:
    """Train a network on validated arrays by gradient descent.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    targets : ndarray of shape (n_samples, n_outputs)
        Encoded targets.
    sample_weight : ndarray of shape (n_samples,) or None
    loss : {"squared_error", "log_loss"}
    alpha : float
    config : GDConfig or None
        Optimizer and stopping settings (None: the defaults).
    random_state : int, RandomState instance or None
        One draw seeds the torch generator, then the validation split uses it.
    device : {"cpu", "cuda", "cuda:N", "auto"}
    **problem_options
        The other keywords of :func:`make_gd_problem` (``fit_intercept``,
        ``n_components``, ``spectral_power``, ``n_neurons``, ``neuron_outputs``,
        ``start``, ``validation_fraction``, ``scoring``).

    Returns
    -------
    GDFit
    """
    resolve_device(device)  # fail before any work
    rng = check_random_state(random_state)
    seed = int(rng.randint(2**31 - 1))
    problem = make_gd_problem(X, targets, sample_weight, loss=loss, alpha=alpha,
                              random_state=rng, **problem_options)
    return train_gd_problem(problem, GDConfig() if config is None else config, seed=seed,
                            device=device)
