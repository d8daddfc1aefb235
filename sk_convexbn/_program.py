"""The convex program equivalent to training a BN-ReLU network, and its solutions.

:func:`make_program` is the one way from validated arrays to a program: it removes
rows of zero weight, merges repeated rows into weights, whitens, samples the
activation patterns and assembles a :class:`ConvexProgram`. Solvers take the
program and return a :class:`ConvexSolution`; :func:`network_from_solution` turns a
solution back into the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._core._losses import Loss, make_loss
from ._core._network import BNNetwork, normalized_network
from ._core._patterns import enumerate_patterns, merge_patterns, sample_patterns
from ._core._penalty import SpectralPenalty
from ._core._rows import merge_repeated_rows, prepare_rows  # noqa: F401
from ._core._statistics import weighted_moments
from ._core._whitening import Whitening

#: Blocks whose norm is below this fraction of the largest block norm (or of the
#: targets' scale, when every block is that small) are dropped when a convex
#: solution is turned into neurons: they are solver round-off.
BLOCK_THRESHOLD = 1e-6


@dataclass(frozen=True)
class ConvexProgram:
    """The group-lasso program over activation patterns of the whitened data.

    Build it with :func:`make_program` (tests may assemble one from arrays).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_columns)
        Whitened data ``[sqrt(N) U Lambda, 1]`` with ``Z^T W Z = N diag(column_scales)``.
    targets : ndarray of shape (n_samples, n_outputs)
        Encoded targets ``Y``.
    sample_weight : ndarray of shape (n_samples,)
        Positive row weights ``w`` (ones without weights); ``N = sum(w)``.
    loss : Loss
    alpha : float
        Regularization strength (weight decay of J).
    fit_intercept : bool
        Whether an unregularized output bias ``b`` is added.
    patterns : ndarray of bool, shape (n_samples, n_patterns), or None
        Activation patterns ``D_p`` (distinct, non-empty).
    column_scales : ndarray of shape (n_columns,)
        ``diag(Z^T W Z) / N`` (ones without spectral weighting).
    gates : ndarray of shape (n_columns, n_patterns) or None
        A gate ``g_p`` with ``D_p = diag(1[Z g_p >= 0])`` for each pattern: a
        direction strictly inside the pattern's cone, which first-order solvers use
        to make their iterates exactly feasible.
    whitening : Whitening or None
        The whitening that produced ``Z`` (needed to map a solution to a network).
    rows : ndarray of shape (n_samples, n_features) or None
        The training rows of ``Z`` (BN statistics of the network are theirs).

    Notes
    -----
    Blocks ``b`` run over (output ``c``, sign ``sigma``, pattern ``p``) in that
    nesting order (C-contiguous layout ``(n_outputs, 2, n_patterns)``). The program is

    .. math::

        \\min_{u, b}\\; \\frac{1}{N}\\sum_i w_i\\, \\ell\\big(F_i + b, Y_i\\big)
        + \\alpha \\sum_b \\|u_b\\|_2
        \\quad\\text{s.t.}\\quad (2D_{p(b)} - I) Z u_b \\ge 0,

    with ``F = sum_b sigma_b D_p(b) Z u_b e_c(b)^T``.
    """

    Z: np.ndarray
    targets: np.ndarray
    sample_weight: np.ndarray
    loss: Loss
    alpha: float
    fit_intercept: bool
    patterns: np.ndarray | None = None
    column_scales: np.ndarray = field(default=None)
    gates: np.ndarray | None = None
    whitening: Whitening | None = None
    rows: np.ndarray | None = None

    def __post_init__(self):
        if self.column_scales is None:
            object.__setattr__(self, "column_scales", np.ones(self.Z.shape[1]))

    @property
    def n_samples(self) -> int:
        return self.Z.shape[0]

    @property
    def n_columns(self) -> int:
        return self.Z.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.targets.shape[1]

    @property
    def n_patterns(self) -> int:
        """Number of distinct activation patterns in the program."""
        return 0 if self.patterns is None else self.patterns.shape[1]

    @property
    def n_blocks(self) -> int:
        return 2 * self.n_patterns * self.n_outputs

    @property
    def total_weight(self) -> float:
        return float(self.sample_weight.sum())

    @property
    def row_coefficients(self) -> np.ndarray:
        """``c_i = w_i / N``, the weight of row ``i`` in the data-fitting term."""
        return self.sample_weight / self.total_weight

    @property
    def target_scale(self) -> float:
        """Root mean square (weights ``c``) of the targets, centred per output."""
        c = self.row_coefficients
        centred = self.targets - c @ self.targets
        return float(np.sqrt(c @ (centred**2).sum(axis=1)))

    @property
    def penalty(self) -> SpectralPenalty:
        """The penalty of J that the columns of ``Z`` encode."""
        return SpectralPenalty() if self.whitening is None else SpectralPenalty.from_whitening(
            self.whitening)

    def with_gates(self, gates: np.ndarray) -> "ConvexProgram":
        """The program with the patterns of ``gates`` added (those that are new).

        The existing patterns keep their indices, so a solution of this program is a
        feasible point of the new one (its blocks for new patterns at zero).
        """
        patterns, all_gates, _ = merge_patterns(self.patterns, self.gates, self.Z, gates)
        return replace(self, patterns=patterns, gates=all_gates)

    def gates_of(self, network: BNNetwork) -> np.ndarray:
        """Gates (n_columns, n_neurons) of a network's neurons in the coordinates of ``Z``.

        A neuron's BN pre-activation on the training rows, ``h = gamma (X w - mean) /
        std + beta``, is ``Z s`` for ``s = diag(1/column_scales) Z^T C h`` when ``w``
        lies in the whitened subspace (always, unless ``n_components`` truncates it);
        ``s`` is a direction strictly inside the neuron's activation pattern, so the
        network is a feasible point of the program over its patterns.
        """
        H = (self.rows @ network.hidden_weights - network.bn_mean) / network.bn_std
        H = H * network.bn_scale + network.bn_shift
        return (self.Z.T @ (self.row_coefficients[:, None] * H)) / self.column_scales[:, None]

    def block_index(self, pattern: np.ndarray, sign: np.ndarray, output: np.ndarray
                    ) -> np.ndarray:
        """Index of the block of each (pattern, sign +1/-1, output) in :meth:`block_layout`."""
        return (np.asarray(output) * 2 + (np.asarray(sign) < 0)) * self.n_patterns + np.asarray(
            pattern)

    def block_layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pattern index, sign and output of every block, each of shape (n_blocks,)."""
        P, C = self.n_patterns, self.n_outputs
        output, sign, pattern = np.meshgrid(
            np.arange(C), np.array([1.0, -1.0]), np.arange(P), indexing="ij"
        )
        return pattern.ravel(), sign.ravel(), output.ravel()

    def masked_outputs(self, blocks: np.ndarray) -> np.ndarray:
        """``F = sum_b sigma_b D_p(b) Z u_b e_c(b)^T`` for blocks of shape (n_columns, n_blocks)."""
        pattern, sign, output = self.block_layout()
        ZU = (self.Z @ blocks) * self.patterns[:, pattern] * sign
        F = np.zeros((self.n_samples, self.n_outputs))
        np.add.at(F.T, output, ZU.T)
        return F

    def objective(self, blocks: np.ndarray, intercept: np.ndarray) -> float:
        """Value of the convex objective at ``(blocks, intercept)`` (pattern masks, no ReLU)."""
        F = self.masked_outputs(blocks) + intercept
        data = self.loss.value(
            torch.from_numpy(F), torch.from_numpy(self.targets),
            torch.from_numpy(self.row_coefficients),
        )
        return float(data) + self.alpha * float(np.linalg.norm(blocks, axis=0).sum())


class SolveStatus(str, Enum):
    """How a solve ended (a string enum: ``status == "optimal"`` holds for OPTIMAL)."""

    #: Stopped at the requested duality gap, or exact (closed form).
    OPTIMAL = "optimal"
    #: Optimal to the third-party solver's own, looser tolerances (CVXPY).
    INACCURATE = "optimal_inaccurate"
    #: Ran out of iterations above the requested gap.
    MAX_ITER = "max_iter"
    #: Stopped making progress above the requested gap (round-off).
    STALLED = "stalled"

    def __str__(self) -> str:
        return self.value


@dataclass
class ConvexSolution:
    """A point of the convex program, as returned by a solver.

    Attributes
    ----------
    blocks : ndarray of shape (n_columns, n_blocks)
        Block vectors ``u_b`` (only the blocks the solver reports).
    signs : ndarray of shape (n_blocks,)
        Output sign ``sigma_b`` (+1 for ``u``, -1 for ``u'``).
    outputs : ndarray of int, shape (n_blocks,)
        Output index ``c(b)`` each block feeds.
    intercept : ndarray of shape (n_outputs,)
    objective : float
        The program's objective as the solver reports it.
    n_iter : int
    status : SolveStatus
    certificate : float or None
        Optimality certificate of iterative solvers (relative duality gap).
    """

    blocks: np.ndarray
    signs: np.ndarray
    outputs: np.ndarray
    intercept: np.ndarray
    objective: float
    n_iter: int
    status: SolveStatus = SolveStatus.OPTIMAL
    certificate: float | None = None


def make_program(
    X: np.ndarray,
    targets: np.ndarray,
    sample_weight: np.ndarray | None,
    *,
    loss: str,
    alpha: float,
    fit_intercept: bool = True,
    n_components: int | None = None,
    spectral_power: float = 0.0,
    n_patterns: int = 100,
    random_state=None,
) -> ConvexProgram:
    """Whiten validated data, sample activation patterns and assemble the convex program.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated rows.
    targets : ndarray of shape (n_samples, n_outputs)
        Encoded targets.
    sample_weight : ndarray of shape (n_samples,) or None
        Nonnegative weights (rows of weight zero take no part).
    loss : {"squared_error", "log_loss"}
    alpha : float
    fit_intercept : bool
    n_components : int or None
        Truncation of the whitened basis (None keeps every direction of variance).
    spectral_power : float
        Spectral weighting of the penalty.
    n_patterns : int or "all"
        Number of Gaussian gates drawn; duplicate and empty patterns are dropped,
        so the program has at most this many patterns (``program.n_patterns``).
        ``"all"`` enumerates every pattern (whitened data of rank 1 or 2 only): the
        program is then the exact global problem over all networks.
    random_state : int, RandomState instance or None
        Seeds the gates.

    Returns
    -------
    ConvexProgram
        With its whitening and training rows, so that a solution maps back to a
        network (:func:`network_from_solution`).

    Raises
    ------
    ValueError
        If ``X`` has no variance on the weighted rows, or ``n_components`` exceeds
        the rank of the centred data.
    """
    rows = prepare_rows(X, targets, sample_weight, n_components=n_components,
                        spectral_power=spectral_power)
    Z = rows.whitening.transform(rows.X)
    if isinstance(n_patterns, str):
        if Z.shape[1] > 3:
            raise ValueError(
                "n_patterns='all' enumerates every activation pattern, which is only "
                "practical when the whitened data has rank 1 or 2; this data has rank "
                f"{Z.shape[1] - 1} (use an int, or n_components <= 2)."
            )
        patterns, gates = enumerate_patterns(Z)
    else:
        patterns, gates = sample_patterns(Z, n_patterns, check_random_state(random_state),
                                          return_gates=True)
    return ConvexProgram(
        Z=Z, targets=rows.targets, sample_weight=rows.weights,
        loss=make_loss(loss, rows.targets.shape[1]), alpha=float(alpha),
        fit_intercept=bool(fit_intercept), patterns=patterns,
        column_scales=rows.whitening.column_scales, gates=gates, whitening=rows.whitening,
        rows=rows.X,
    )


def network_from_solution(solution: ConvexSolution, program: ConvexProgram) -> BNNetwork:
    """Turn the nonzero blocks of a convex solution into BN neurons.

    Parameters
    ----------
    solution : ConvexSolution
    program : ConvexProgram
        The program it solves, built by :func:`make_program` (it carries the
        whitening and the training rows).

    Returns
    -------
    BNNetwork

    Notes
    -----
    A block ``u = [a; beta']`` with ``u != 0`` and sign ``sigma`` gives one neuron:
    ``t = sqrt(||u||)``, ``s = u / t``, output weight ``sigma * t`` on its output,
    first-layer direction ``w ∝ sqrt(N) V S^-1 Lambda s[:k]`` and BN parameters
    ``gamma = std(X w)`` (for the unnormalized ``w``), ``beta = s[k]``. Then the
    neuron's BN pre-activation is exactly ``Z s`` and J at the network equals the
    convex objective wherever the cone constraints hold. Blocks below
    ``BLOCK_THRESHOLD`` times the largest block norm (or the targets' scale, a
    block's norm being the RMS of its contribution to the outputs) are solver
    round-off and dropped.
    """
    whitening, X, w = program.whitening, program.rows, program.sample_weight
    norms = np.linalg.norm(solution.blocks, axis=0)
    keep = norms > BLOCK_THRESHOLD * max(norms.max(initial=0.0), program.target_scale)
    blocks, norms = solution.blocks[:, keep], norms[keep]
    t = np.sqrt(norms)
    s = blocks / t
    k = whitening.n_directions
    raw = whitening.hidden_weights(s[:k])
    _, gamma = weighted_moments(X @ raw, program.row_coefficients)
    constant = gamma <= 1e-12 * max(1.0, float(np.abs(s).max(initial=0.0)))
    if np.any(constant):
        # A block along the bias column only: BN outputs the constant beta with
        # gamma = 0, whatever the direction; any direction of variance will do.
        raw[:, constant] = whitening.hidden_weights(np.eye(k, 1))
        gamma[constant] = 0.0
    output_weights = np.zeros((blocks.shape[1], program.n_outputs))
    output_weights[np.arange(blocks.shape[1]), solution.outputs[keep]] = (
        solution.signs[keep] * t
    )
    return normalized_network(X, w, raw, gamma, s[k], output_weights, solution.intercept)
