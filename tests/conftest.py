"""Shared helpers of the test suite: small programs and independent recomputations of J."""

import numpy as np
import pytest
import torch

from sk_convexbn._program import make_program
from sk_convexbn._solvers import solve_cvxpy

# The estimators run single-threaded on data this small (sk_convexbn._core._threads);
# the tests that call solvers directly do the same, so that a busy machine does not
# slow them down many times (torch's waiting threads).
torch.set_num_threads(1)


def torch_objective(model, X, y, alpha, *, loss="squared_error", penalty_factors=None):
    """J of a fitted estimator's network, recomputed with torch modules only.

    Independent of the library: the exported NumPy weights are loaded into
    ``Linear -> BatchNorm1d(training mode) -> ReLU -> Linear``, BN recomputes
    the (biased) batch statistics of ``X``, and the loss is torch's own
    (``MSELoss``, ``BCEWithLogitsLoss`` or ``CrossEntropyLoss``).

    ``y`` is the encoded target: floats of shape (n,) or (n, n_outputs) for the
    squared loss; 0/1 for binary log-loss; class indices for multi-class log-loss.
    """
    W = torch.tensor(model.hidden_weights_)
    m = W.shape[1]
    with torch.no_grad():
        X = torch.tensor(X, dtype=torch.float64)
        intercept = torch.tensor(model.intercept_)
        if m:
            linear = torch.nn.Linear(W.shape[0], m, bias=False).double()
            # torch requires eps > 0 in training mode; the exported weights give unit
            # variance, so eps=1e-12 changes J by about 1e-12 relative.
            bn = torch.nn.BatchNorm1d(m, eps=1e-12).double().train()
            head = torch.nn.Linear(m, model.output_weights_.shape[1]).double()
            linear.weight.copy_(W.T)
            bn.weight.copy_(torch.tensor(model.bn_scale_))
            bn.bias.copy_(torch.tensor(model.bn_shift_))
            head.weight.copy_(torch.tensor(model.output_weights_).T)
            head.bias.copy_(intercept)
            F = head(torch.relu(bn(linear(X))))
        else:  # an empty network (alpha above alpha_max) outputs its intercept
            F = intercept.expand(X.shape[0], -1).clone()
        if loss == "squared_error":
            Y = torch.tensor(np.asarray(y, float)).reshape(F.shape)
            data = 0.5 * F.shape[1] * torch.nn.functional.mse_loss(F, Y)
        elif F.shape[1] == 1:
            data = torch.nn.functional.binary_cross_entropy_with_logits(
                F[:, 0], torch.tensor(np.asarray(y, float)))
        else:
            data = torch.nn.functional.cross_entropy(F, torch.tensor(np.asarray(y)))
    gamma2 = model.bn_scale_**2
    if penalty_factors is not None:
        gamma2 = gamma2 * penalty_factors
    penalty = gamma2.sum() + (model.bn_shift_**2).sum() + (model.output_weights_**2).sum()
    return float(data) + 0.5 * alpha * float(penalty)


def standardized(y, sample_weight=None):
    """``y`` centred (per output) and scaled (one scale for all outputs) as the regressors
    standardize their targets: on it their ``objective_`` is J of ``y`` itself.

    The regressors fit ``(y - m) / s`` (tests/estimators/test_target_scale.py checks J on
    targets of other scales); tests of J against a recomputation use this target.
    """
    Y = np.asarray(y, dtype=float).reshape(len(y), -1)
    centred = Y - np.average(Y, axis=0, weights=sample_weight)
    scale = np.sqrt(np.mean(np.average(centred**2, axis=0, weights=sample_weight)))
    return (centred / scale).reshape(np.shape(y))


def spectral_penalty_factors(X, hidden_weights, power, n_components=None):
    """``||Lambda^-1 q||^2 / ||q||^2`` per neuron (``q = S V^T w``), from an SVD computed here.

    Multiplies ``gamma^2`` in J under spectral weighting (docs/theory.rst, "What gradient
    descent prefers, made explicit").
    """
    _, s, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    s, Vt = s[:n_components], Vt[:n_components]
    q = (Vt @ hidden_weights) * s[:, None]
    lam = (s / s[0]) ** power
    return np.sum((q / lam[:, None]) ** 2, axis=0) / np.sum(q**2, axis=0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


#: For a test whose gradient descent is cut short on purpose (a few epochs keep it quick):
#: the ConvergenceWarning that says so is expected.
short_gd_run = pytest.mark.filterwarnings(
    "ignore:gradient descent stopped:sklearn.exceptions.ConvergenceWarning")

#: For a test that fits at the top of an alpha grid, alpha_max, where the network is empty
#: by design: the warning that says so is expected.
empty_network_expected = pytest.mark.filterwarnings(
    "ignore:the fitted network has no neuron:UserWarning")


# Small programs covering every kind of target, weighting and encoding, shared by the
# solver tests.
def make_case(seed, *, n=60, d=4, n_patterns=30, alpha=5e-3, n_outputs=1,
             loss="squared_error", fit_intercept=True, weighted=False, power=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.linspace(2.0, 0.5, d)
    f = np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.standard_normal(n)
    if loss == "squared_error":
        Y = f[:, None] + 0.3 * rng.standard_normal((n, n_outputs))
    elif n_outputs == 1:
        Y = (f > np.median(f)).astype(float)[:, None]
    else:
        Y = np.eye(n_outputs)[np.digitize(f, np.quantile(f, np.linspace(0, 1, n_outputs + 1)[1:-1]))]
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    return make_program(X, Y, w, loss=loss, alpha=alpha, fit_intercept=fit_intercept,
                        spectral_power=power, n_patterns=n_patterns, random_state=seed)


CASES = {
    "regression": dict(seed=0),
    "regression-seed1": dict(seed=1),
    "regression-seed2": dict(seed=2, n=80, n_patterns=40),
    "no-intercept": dict(seed=3, fit_intercept=False),
    "multi-output": dict(seed=4, n_outputs=3),
    "weighted": dict(seed=5, weighted=True),
    "spectral": dict(seed=6, power=1.0),
    "logistic": dict(seed=7, loss="log_loss", alpha=1e-2),
    "softmax": dict(seed=8, loss="log_loss", n_outputs=3, alpha=1e-2),
}


def reference_objective(program):
    # Clarabel cannot reach its default 1e-8 tolerances with the exponential cones of
    # the log-losses (it reports "optimal_inaccurate"); 1e-7 it reaches.
    params = {"tol_gap_rel": 1e-7, "tol_feas": 1e-7} if program.loss.name == "log_loss" else None
    return solve_cvxpy(program, solver_params=params).objective
