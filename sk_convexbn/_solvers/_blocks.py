"""The program's blocks as torch tensors: outputs, gradients, optimality at zero, the dual bound.

A block ``b`` has a pattern ``p(b)``, a sign ``sigma_b`` and an output ``c(b)``
(:meth:`~sk_convexbn._program.ConvexProgram.block_layout`); its contribution to the
outputs is ``sigma_b D_p Z u_b``. Nothing here keeps an ``(n_samples, n_blocks)``
array for all blocks at once: gradients are computed per output, cone signs only for
the blocks asked about. The working-set solver, pattern generation and ``alpha_max``
all read the program through this one view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .._core._cones import ConeSupport, bytes_per_cone, project_onto_cones
from .._core._losses import Loss
from .._program import ConvexProgram


#: Cone projections of the optimality check run on chunks of blocks whose work arrays
#: (signs, rows of the supports) take about this many bytes.
CHUNK_BYTES = 256 * 2**20
#: ``largest_block_threshold`` projects the blocks of largest gradient norm this many
#: at a time.
THRESHOLD_CHUNK = 64
#: A block at zero violates its optimality condition when ``v_b > alpha (1 + VIOLATION)``.
VIOLATION = 1e-12


class BlockView:
    """Torch tensors of a program on one device and dtype."""

    def __init__(self, program: ConvexProgram, device: torch.device, dtype: torch.dtype):
        # np.require copies only arrays torch cannot share (read-only, e.g. memmaps)
        as_t = lambda a: torch.as_tensor(np.require(a, requirements="W"), dtype=dtype,  # noqa: E731
                                         device=device)
        self.program = program
        self.dtype, self.device = dtype, device
        self.Z = as_t(program.Z)
        self.c = as_t(program.row_coefficients)
        self.Y = as_t(program.targets)
        self.loss: Loss = program.loss
        self.alpha = float(program.alpha)
        self.fit_intercept = bool(program.fit_intercept)
        self.patterns = torch.as_tensor(program.patterns, device=device)  # (n, P) bool
        self.gates = as_t(program.gates)  # (K, P)
        pattern, sign, output = program.block_layout()
        self.pattern = torch.as_tensor(pattern, device=device)
        self.sign = as_t(sign)
        self.output = torch.as_tensor(output, device=device)
        self.n, self.K = self.Z.shape
        self.n_outputs = program.n_outputs
        self.n_blocks = program.n_blocks

    def masks(self, ids: torch.Tensor) -> torch.Tensor:
        """``D_p(b)`` as floats, shape (n_samples, len(ids))."""
        return self.patterns[:, self.pattern[ids]].to(self.dtype)

    def cone_signs(self, ids: torch.Tensor) -> torch.Tensor:
        """``2 D_p(b) - 1``, shape (n_samples, len(ids))."""
        return 2.0 * self.masks(ids) - 1.0

    def outputs(self, ids: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
        """``F = sum_b sigma_b D_p(b) Z u_b e_c(b)^T``, shape (n_samples, n_outputs)."""
        F = torch.zeros((self.n, self.n_outputs), dtype=self.dtype, device=self.device)
        if ids.numel():
            F.index_add_(1, self.output[ids], (self.Z @ U) * self.masks(ids) * self.sign[ids])
        return F

    def intercept(self, F: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The optimal intercept for outputs ``F`` (zero without one)."""
        if not self.fit_intercept:
            return torch.zeros_like(b)
        return self.loss.optimal_intercept(F, self.Y, self.c, b)

    def data_gradient(self, F: torch.Tensor) -> torch.Tensor:
        """``G = c * grad l(F)``, the gradient of the data term in the outputs (intercept included)."""
        return self.c[:, None] * self.loss.row_gradients(F, self.Y)

    def block_gradients(self, G: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        """``sigma_b Z^T D_p(b) G_c(b)`` for the blocks ``ids`` (all blocks if None), (K, n_ids).

        Per block for at most as many blocks as patterns (the working set: its
        ``(n_samples, len(ids))`` arrays are no larger than the patterns'), per pattern
        and output otherwise (the screen of every block).
        """
        P = self.patterns.shape[1]
        if ids is not None and ids.numel() <= P:
            return (self.Z.T @ (self.masks(ids) * G[:, self.output[ids]])) * self.sign[ids]
        per_pattern = torch.empty((self.K, self.n_outputs, P), dtype=self.dtype,
                                  device=self.device)
        D = self.patterns.to(self.dtype)
        for c in range(self.n_outputs):  # one (n x P) product per output keeps memory small
            per_pattern[:, c] = self.Z.T @ (D * G[:, c:c + 1])
        if ids is None:
            ids = torch.arange(self.n_blocks, device=self.device)
        return per_pattern[:, self.output[ids], self.pattern[ids]] * self.sign[ids]

    def objective(self, F_with_intercept: torch.Tensor, U: torch.Tensor) -> float:
        return float(self.loss.value(F_with_intercept, self.Y, self.c)) + self.alpha * float(
            torch.linalg.vector_norm(U, dim=0).sum())


@dataclass
class Optimality:
    """Optimality at zero of every block, and the duality gap it certifies.

    Attributes
    ----------
    upper : Tensor of shape (n_blocks,)
        Upper bounds on ``v_b = ||Pi_K(-grad_b)||`` (exact where projections ran to
        the end). A block at zero is optimal when ``v_b <= alpha``.
    lower : Tensor of shape (n_blocks,)
        Lower bounds on ``v_b``.
    gradients : Tensor of shape (n_columns, n_blocks)
    directions : Tensor of shape (n_columns, n_blocks)
        ``Pi_K(-grad_b)`` where a projection ran (where a block would enter).
    primal, dual, gap : float
        The objective, the dual value at the scaled dual point and their relative gap.
    """

    upper: torch.Tensor
    lower: torch.Tensor
    gradients: torch.Tensor
    directions: torch.Tensor
    primal: float
    dual: float
    gap: float


def screen_blocks(view: BlockView, G: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor,
                                                              torch.Tensor]:
    """Cheap bounds on ``v_b = ||Pi_K(-grad_b)||`` for every block, from one matrix product.

    ``G`` is the (centred) gradient of the data term in the outputs. The upper bound
    is ``||grad_b||`` (a projection onto a cone shrinks norms); the lower bound is the
    inner product of ``-grad_b`` with the block's normalized gate, a direction inside
    its cone.

    Returns the gradients (K, n_blocks), the upper and the lower bounds (n_blocks,).
    """
    grad = view.block_gradients(G)
    gates = view.gates[:, view.pattern]
    lower = torch.clamp(-(grad * gates).sum(dim=0) / torch.linalg.vector_norm(gates, dim=0),
                        min=0.0)
    return grad, torch.linalg.vector_norm(grad, dim=0), lower


def centred_gradient(view: BlockView, F: torch.Tensor) -> torch.Tensor:
    """``c grad l(F)`` (``F`` with its intercept), centred per output when there is one."""
    G = view.data_gradient(F)
    if view.fit_intercept:
        G = G - view.c[:, None] * (G.sum(dim=0) / view.c.sum())
    return G


def check_optimality(view: BlockView, F: torch.Tensor, U: torch.Tensor,
                     supports: ConeSupport, *, exact: torch.Tensor | None = None
                     ) -> Optimality:
    """KKT condition of every block at the point with outputs ``F`` (intercept included).

    ``supports`` holds the warm starts of the cone projections of all blocks and is
    updated in place. ``exact`` marks blocks whose ``v_b`` is needed exactly (the
    active ones); the others stop as soon as ``v_b <= alpha`` or ``v_b > alpha`` is
    certified.

    Notes
    -----
    The screen ``||grad_b|| <= alpha`` settles most blocks with one matrix product;
    the rest get an exact projection (the nonnegative least squares problem of
    :mod:`sk_convexbn._core._cones`). The dual point is ``Theta = s G`` with
    ``G = c grad l(F)`` (centred when there is an intercept) and
    ``s = min(1, alpha / max_b v_b)``, feasible for the dual of the program over all
    its patterns, so ``D = -L*(Theta)`` bounds the optimum from below.
    """
    alpha = view.alpha
    G = centred_gradient(view, F)
    grad, upper, lower = screen_blocks(view, G)
    directions = torch.zeros_like(grad)
    need = upper > alpha
    if exact is not None:
        need |= exact
    ids = need.nonzero()[:, 0]
    chunk = _chunk(view)
    for part in torch.split(ids, chunk):
        stop_below = torch.full((part.numel(),), alpha, dtype=view.dtype, device=view.device)
        stop_above = torch.full_like(stop_below, alpha * (1 + VIOLATION))
        if exact is not None:
            stop_below[exact[part]] = 0.0
            stop_above[exact[part]] = torch.inf
        projection = project_onto_cones(
            view.Z, view.cone_signs(part), -grad[:, part], support=supports.select(part),
            stop_below=stop_below, stop_above=stop_above,
            interior=view.gates[:, view.pattern[part]])
        upper[part] = projection.norms
        lower[part] = torch.maximum(lower[part], projection.lower)
        directions[:, part] = projection.points
        _store(supports, part, projection.support)
    primal = view.objective(F, U)
    scale = min(1.0, alpha / max(float(upper.max()), 1e-300))
    dual = -float(view.loss.conjugate(scale * G, view.Y, view.c))
    gap = (primal - dual) / max(abs(primal), 1e-300)
    return Optimality(upper, lower, grad, directions, primal, dual, gap)


def _chunk(view: BlockView) -> int:
    """Cones per call of the projections, so that their work arrays take about CHUNK_BYTES."""
    itemsize = torch.finfo(view.dtype).bits // 8
    return max(1, CHUNK_BYTES // bytes_per_cone(view.n, view.K, itemsize))


def _store(supports: ConeSupport, ids: torch.Tensor, new: ConeSupport) -> None:
    width = max(supports.index.shape[1], new.index.shape[1])
    if supports.index.shape[1] < width:
        pad = torch.zeros((supports.index.shape[0], width - supports.index.shape[1]),
                          dtype=torch.long, device=supports.index.device)
        supports.index = torch.cat([supports.index, pad], dim=1)
    supports.index[ids] = 0
    supports.index[ids, : new.index.shape[1]] = new.index
    supports.size[ids] = new.size


def _gradients_at_zero(program: ConvexProgram) -> tuple[BlockView, torch.Tensor]:
    """The view (CPU, float64) and every block's gradient at ``u = 0`` and its optimal intercept."""
    view = BlockView(program, torch.device("cpu"), torch.float64)
    F = torch.zeros((view.n, view.n_outputs), dtype=view.dtype)
    F = F + view.intercept(F, torch.zeros(view.n_outputs, dtype=view.dtype))
    return view, view.block_gradients(centred_gradient(view, F))


def _exact_violations(view: BlockView, grad: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """``||Pi_K(-grad_b)||`` of the blocks ``ids`` by exact projections, in chunks."""
    chunk = _chunk(view)
    norms = torch.empty(ids.numel(), dtype=view.dtype)
    for start, part in zip(range(0, ids.numel(), chunk), torch.split(ids, chunk)):
        projection = project_onto_cones(view.Z, view.cone_signs(part), -grad[:, part],
                                        interior=view.gates[:, view.pattern[part]],
                                        max_steps=50 * view.n)
        if not bool(projection.converged.all()):
            raise RuntimeError("a cone projection did not converge in 50 * n_samples steps; "
                               "the optimality thresholds at zero are not exact.")
        norms[start:start + part.numel()] = projection.norms
    return norms


def block_thresholds(program: ConvexProgram) -> np.ndarray:
    """Per block, the smallest ``alpha`` at which the block stays at zero, shape (n_blocks,).

    Notes
    -----
    At ``u = 0`` and the optimal intercept, block ``b`` (cone matrix
    ``A_b = (2 D_p(b) - I) Z``) satisfies its optimality condition exactly when

    .. math::

        v_b = \\|\\Pi_{K_b}(-\\nabla_b)\\|_2
            = \\min_{\\lambda \\ge 0} \\|\\nabla_b - A_b^\\top \\lambda\\|_2 \\le \\alpha,

    with ``grad_b = sigma_b Z^T D_p(b) G_c(b)`` and ``G`` the (centred) gradient of the
    data term in the outputs (Moreau's decomposition: the cone's polar is
    ``{-A_b^T lambda, lambda >= 0}``).
    """
    view, grad = _gradients_at_zero(program)
    return _exact_violations(view, grad, torch.arange(view.n_blocks)).numpy()


def largest_block_threshold(program: ConvexProgram) -> float:
    """``max`` of :func:`block_thresholds`, projecting only the blocks that can matter.

    A block's threshold is at most ``||grad_b||`` (a projection shrinks norms): blocks
    are projected by decreasing gradient norm, a chunk at a time, until the next
    chunk's largest norm is not above the largest threshold found.
    """
    view, grad = _gradients_at_zero(program)
    norms = torch.linalg.vector_norm(grad, dim=0)
    order = torch.argsort(norms, descending=True, stable=True)
    best = 0.0
    for part in torch.split(order, THRESHOLD_CHUNK):
        if float(norms[part[0]]) <= best:
            break
        best = max(best, float(_exact_violations(view, grad, part).max()))
    return best
