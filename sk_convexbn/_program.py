"""The convex program equivalent to training a BN-ReLU network, and its solutions.

Solvers take a :class:`ConvexProgram` of validated arrays and return a
:class:`ConvexSolution`; :mod:`sk_convexbn._network` turns the solution into the
network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ._losses import Loss


@dataclass(frozen=True)
class ConvexProgram:
    """The group-lasso program over activation patterns of the whitened data.

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
        Activation patterns ``D_p``; ``None`` for solvers that need none.
    column_scales : ndarray of shape (n_columns,)
        ``diag(Z^T W Z) / N`` (ones without spectral weighting).
    gates : ndarray of shape (n_columns, n_patterns) or None
        A gate ``g_p`` with ``D_p = diag(1[Z g_p >= 0])`` for each pattern: a
        direction strictly inside the pattern's cone, which first-order solvers use
        to make their iterates exactly feasible.

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
    status : str
    certificate : float or None
        Optimality certificate of iterative solvers (relative duality gap).
    """

    blocks: np.ndarray
    signs: np.ndarray
    outputs: np.ndarray
    intercept: np.ndarray
    objective: float
    n_iter: int
    status: str = "optimal"
    certificate: float | None = None
