"""Closed-form optimum when the data has full row rank (the overparameterized regime)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from .._program import ConvexProgram, ConvexSolution
from ._base import SolveRequest, Solver


def closed_form_inapplicable(program: ConvexProgram) -> str | None:
    """Why the closed form does not apply to ``program``, or ``None`` if it does.

    It applies to the squared loss without spectral weighting when the whitened
    data is square: ``[X, 1]`` has full row rank on the distinct training rows
    (repeated rows are weights, see :func:`~sk_convexbn._program.make_program`).
    """
    if not program.loss.quadratic:
        return "it needs loss='squared_error'"
    if program.n_samples != program.n_columns:
        return (
            f"it needs [X, 1] of full row rank on the {program.n_samples} distinct "
            f"training rows; the whitened data has rank {program.n_columns}"
        )
    if not np.allclose(program.column_scales, 1.0):
        return "it needs spectral_power=0"
    return None


def _parts(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positive and negative parts ``relu(y)``, ``relu(-y)``: the two neurons' targets."""
    return np.maximum(y, 0.0), np.maximum(-y, 0.0)


def _rms(part: np.ndarray, c: np.ndarray) -> float:
    return float(np.sqrt(c @ part**2))


def _one_sign_value(rms: float, alpha: float) -> float:
    return alpha * rms - 0.5 * alpha**2 if alpha < rms else 0.5 * rms**2


def _optimal_value(y: np.ndarray, c: np.ndarray, alpha: float) -> float:
    """``J*`` for one output: the sum over both signs of the soft-threshold value."""
    return sum(_one_sign_value(_rms(part, c), alpha) for part in _parts(y))


def _soft_threshold(y: np.ndarray, c: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Optimal nonnegative outputs of the positive and the negative neuron."""
    shrunk = []
    for part in _parts(y):
        rms = _rms(part, c)
        shrunk.append((max(1.0 - alpha / rms, 0.0) if rms > 0 else 0.0) * part)
    return shrunk[0], shrunk[1]


def closed_form_alpha_max(program: ConvexProgram) -> float:
    """Smallest ``alpha`` at which the closed-form optimum has no neuron.

    At ``u = 0`` the intercept is the weighted mean of the targets (or zero), and
    each neuron's output is soft-thresholded at ``alpha`` by the root mean square of
    its part of the residual ``r = y - b0``: the network is empty once ``alpha``
    reaches the largest of them.
    """
    c, Y = program.row_coefficients, program.targets
    residual = Y - c @ Y if program.fit_intercept else Y
    return max(_rms(part, c) for j in range(program.n_outputs) for part in _parts(residual[:, j]))


class ClosedFormSolver(Solver):
    """Exact optimum over BN networks of any width for full-row-rank data (no patterns)."""

    name = "closed_form"
    uses_program_patterns = False

    def inapplicable(self, program: ConvexProgram) -> str | None:
        return closed_form_inapplicable(program)

    def solve(self, program: ConvexProgram, request: SolveRequest):
        return solve_closed_form(program), None

    def alpha_max(self, program: ConvexProgram) -> float:
        return closed_form_alpha_max(program)


def solve_closed_form(program: ConvexProgram) -> ConvexSolution:
    """Exact optimum of J over BN networks of any width, for full-row-rank data.

    Parameters
    ----------
    program : ConvexProgram
        Squared loss, square whitened ``Z`` (``rank([X, 1]) = n``), no spectral
        weighting. Patterns are not used: every pattern is available.

    Returns
    -------
    ConvexSolution
        Two blocks per output (a positive and a negative neuron).

    Raises
    ------
    ValueError
        If the program is not of that form.

    Notes
    -----
    Every vector of ``R^n`` is the BN pre-activation of some neuron, and a neuron
    whose ReLU output is ``o >= 0`` costs at least ``alpha * rms(o)`` with
    ``rms(o)^2 = sum_i c_i o_i^2``. For each output, with ``y+ = relu(y - b)``,
    ``y- = relu(b - y)`` and ``rho± = rms(y±)``:

    .. math::

        f^* = (1 - \\alpha/\\rho_+)_+\\, y_+ - (1 - \\alpha/\\rho_-)_+\\, y_-,\\qquad
        J^* = \\sum_\\pm \\begin{cases}\\alpha\\rho_\\pm - \\alpha^2/2 & \\alpha < \\rho_\\pm\\\\
        \\rho_\\pm^2/2 & \\text{otherwise.}\\end{cases}

    With an intercept, ``b`` minimizes the convex function ``J*(y - b)`` (bounded
    scalar minimization). The block of a neuron with output ``o`` is
    ``u = Z^T W o / N``, so that ``Z u = o``.
    """
    reason = closed_form_inapplicable(program)
    if reason is not None:
        raise ValueError(f"solver='closed_form' does not apply: {reason}.")
    Z, Y, alpha = program.Z, program.targets, program.alpha
    c = program.row_coefficients
    n_out = program.n_outputs
    blocks = np.zeros((program.n_columns, 2 * n_out))
    intercept = np.zeros(n_out)
    objective = 0.0
    for j in range(n_out):
        y = Y[:, j]
        if program.fit_intercept and np.ptp(y) == 0:
            intercept[j] = y[0]
        elif program.fit_intercept:
            span = float(np.ptp(y))
            result = minimize_scalar(
                lambda b: _optimal_value(y - b, c, alpha),
                bounds=(float(y.min()), float(y.max())),
                method="bounded",
                options={"xatol": 1e-12 * span},
            )
            intercept[j] = result.x
        value = _optimal_value(y - intercept[j], c, alpha)
        positive, negative = _soft_threshold(y - intercept[j], c, alpha)
        blocks[:, 2 * j] = Z.T @ (c * positive)
        blocks[:, 2 * j + 1] = Z.T @ (c * negative)
        objective += value
    return ConvexSolution(
        blocks=blocks,
        signs=np.tile([1.0, -1.0], n_out),
        outputs=np.repeat(np.arange(n_out), 2),
        intercept=intercept,
        objective=objective,
        n_iter=0,
        certificate=0.0,
    )
