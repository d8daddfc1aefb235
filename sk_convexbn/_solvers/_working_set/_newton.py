"""The inner solver: Newton's method on the faces of the pattern cones (an active-set method).

At the optimum of a program over sampled patterns, most blocks lie on a low-dimensional
face of their cone (their hyperplane passes through data points): the constraints of
those rows hold with equality. On a fixed face ``{u : a_i^T u = 0, i in T}`` a block is
``u = N z`` (``N`` an orthonormal basis of the face's span), the constraints of the
other rows are inactive nearby, and the restricted program is smooth in ``z``::

    minimize  L(sum_b sigma_b D_b Z N_b z_b + b) + alpha sum_b ||z_b||

Newton's method solves it fast; the face changes when a step would leave the cone
(the row that blocks it joins ``T``, a ratio test) or when the steepest feasible
descent moves away from tight rows (they leave ``T``). Every iterate is feasible, so
the network it defines has exactly the program's objective.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ..._core._cones import ConeSupport, project_onto_cones
from .._blocks import BlockView

#: Tight rows are released (the steepest feasible descent checked) once a Newton step
#: decreases the objective by less than this (relative), before Newton has converged.
RELEASE_DECREASE = 1e-6
#: A row is tight when its constraint is at most TIGHT * ||u|| * max_i ||z_i||; a block is
#: stationary on its cone when its steepest feasible descent has a norm at most
#: STATIONARY * max(||g||, alpha).
TIGHT = 1e-12
STATIONARY = 1e-9


@dataclass
class ActiveBlocks:
    """The blocks of the working set that are nonzero, with their faces.

    Attributes
    ----------
    ids : LongTensor of shape (n_active,)
        Program block indices.
    U : Tensor of shape (n_columns, n_active)
        Block vectors (feasible).
    faces : list of LongTensor
        Rows whose constraint is tight, per block.
    """

    ids: torch.Tensor
    U: torch.Tensor
    faces: list = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.ids.numel())

    def keep(self, mask: torch.Tensor) -> None:
        where = mask.nonzero()[:, 0].tolist()
        self.ids, self.U = self.ids[mask], self.U[:, mask]
        self.faces = [self.faces[i] for i in where]

    def extend(self, ids: torch.Tensor, U: torch.Tensor, faces: list) -> None:
        self.ids = torch.cat([self.ids, ids])
        self.U = torch.cat([self.U, U], dim=1)
        self.faces = self.faces + list(faces)


@dataclass
class NewtonReport:
    steps: int = 0
    pivots: int = 0
    converged: bool = False


def face_support(view: BlockView, faces: list) -> ConeSupport:
    """The rows of each face, zero-padded (also the warm start of a cone projection)."""
    width = max((int(f.numel()) for f in faces), default=0)
    index = torch.zeros((len(faces), width), dtype=torch.long, device=view.device)
    for i, rows in enumerate(faces):
        index[i, : rows.numel()] = rows
    return ConeSupport(index, torch.tensor([int(f.numel()) for f in faces], dtype=torch.long,
                                           device=view.device))


def _face_mask(view: BlockView, faces: list) -> torch.Tensor:
    """Which rows are on each block's face: shape (n_samples, n_blocks)."""
    mask = torch.zeros((view.n, len(faces)), dtype=torch.bool, device=view.device)
    sizes = torch.tensor([int(f.numel()) for f in faces], device=view.device)
    if int(sizes.sum()):
        mask[torch.cat(faces), torch.repeat_interleave(
            torch.arange(len(faces), device=view.device), sizes)] = True
    return mask


def _padded_faces(view: BlockView, ids: torch.Tensor, faces: list) -> tuple:
    """Constraint rows ``a_i = (2 D_i - 1) z_i`` of each block's face, zero-padded.

    Returns rows (n_blocks, width, K) and the mask of real entries (n_blocks, width).
    """
    support = face_support(view, faces)
    index = support.index
    mask = torch.arange(index.shape[1], device=view.device)[None, :] < support.size[:, None]
    signs = 2.0 * view.patterns[index, view.pattern[ids][:, None]].to(view.dtype) - 1.0
    return view.Z[index] * (signs * mask)[:, :, None], mask


def _bases(view: BlockView, ids: torch.Tensor, faces: list) -> list:
    """Orthonormal bases (K, d) of the directions that keep each face's rows tight."""
    if not faces:
        return []
    rows, mask = _padded_faces(view, ids, faces)
    if rows.shape[1] == 0:
        return [torch.eye(view.K, dtype=view.dtype, device=view.device) for _ in faces]
    _, S, Vh = torch.linalg.svd(rows, full_matrices=True)
    ranks = (S > 1e-10 * torch.clamp(S.amax(dim=1, keepdim=True), min=1e-300)).sum(dim=1)
    return [Vh[i, int(r):].T.contiguous() for i, r in enumerate(ranks.tolist())]


class _Faces:
    """Bases of the faces of the active blocks, recomputed only where a face changed."""

    def __init__(self, view: BlockView, active: ActiveBlocks):
        self.view = view
        self.bases = _bases(view, active.ids, active.faces)

    def update(self, active: ActiveBlocks, changed: list[int]) -> None:
        fresh = _bases(self.view, active.ids[changed], [active.faces[i] for i in changed])
        for i, basis in zip(changed, fresh):
            self.bases[i] = basis

    def keep(self, mask: torch.Tensor) -> None:
        self.bases = [b for b, k in zip(self.bases, mask.tolist()) if k]


#: Conjugate gradients on the coupled (softmax) Newton system stop at this residual,
#: relative to the gradient, or after CG_STEPS iterations; at CG_LOOSE after a step
#: that changed a face, since the next step's system differs anyway (measured on the
#: restricted programs of the digits fit: half the time for 30 steps, J as low).
CG_TOL = 1e-12
CG_LOOSE = 1e-3
CG_STEPS = 200
#: Up to this many variables the coupled Newton system is formed and factorized whole
#: (``n m^2 + m^3 / 3`` flops and a few operations, where conjugate gradients take tens
#: of products). Measured side by side: iris 0.47 -> 0.21 s, wine 0.68 -> 0.31 s,
#: digits unchanged at 250; at 1500 digits took twice as long (its loose solves after a
#: face change need few conjugate-gradient products).
DENSE_COUPLED = 250


@dataclass
class _FaceSystem:
    """The program restricted to the current faces, at the current point.

    The variables are the coordinates ``z`` of every block on its face (``u = N z``),
    one column per face direction, followed by the intercepts when fitted.

    Attributes
    ----------
    N : Tensor of shape (n_columns, m)
        The bases of the faces, side by side.
    col_block : LongTensor of shape (m,)
        The active block of each face direction.
    masks : Tensor of shape (n_samples, n_active)
        The activation pattern of each active block.
    Mt : Tensor of shape (n_samples, m) or (n_samples, m + n_outputs)
        Derivative of the output each variable feeds, per row.
    out_t : LongTensor of shape (Mt.shape[1],)
        The output each variable feeds.
    Fb : Tensor of shape (n_samples, n_outputs)
        The outputs, intercept included.
    grad : Tensor of shape (Mt.shape[1],)
        Gradient of the objective in the variables.
    norms : Tensor of shape (n_active,)
        ``||u||`` of each block.
    zhat : Tensor of shape (m,)
        ``z / ||u||``.
    objective : float
    """

    N: torch.Tensor
    col_block: torch.Tensor
    masks: torch.Tensor
    Mt: torch.Tensor
    out_t: torch.Tensor
    Fb: torch.Tensor
    grad: torch.Tensor
    norms: torch.Tensor
    zhat: torch.Tensor
    objective: float

    def directions(self, step: torch.Tensor, U: torch.Tensor, b: torch.Tensor,
                   fit_intercept: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """A step in the variables as changes ``dU`` of the blocks and ``db`` of the intercept."""
        m = self.col_block.numel()
        dU = torch.zeros_like(U).index_add_(1, self.col_block, self.N * step[:m])
        db = step[m:] if fit_intercept else torch.zeros_like(b)
        return dU, db


def _face_system(view: BlockView, active: ActiveBlocks, bases: list,
                 b: torch.Tensor) -> _FaceSystem:
    """Build the program restricted to the faces ``bases`` of the active blocks, at ``(U, b)``."""
    n, C, A, device = view.n, view.n_outputs, len(active), view.device
    dims = torch.tensor([basis.shape[1] for basis in bases], device=device)
    col_block = torch.repeat_interleave(torch.arange(A, device=device), dims)
    N = torch.cat(bases, dim=1)
    masks = view.masks(active.ids)
    M = (view.Z @ N) * (masks * view.sign[active.ids])[:, col_block]  # (n, m)
    z = (N * active.U[:, col_block]).sum(dim=0)
    col_out = view.output[active.ids][col_block]
    Fb = view.outputs(active.ids, active.U) + b
    G = view.data_gradient(Fb)
    # the chain rule through u = N z: per block in the columns' space, not per row
    grad = (N * view.block_gradients(G, active.ids)[:, col_block]).sum(dim=0)
    if view.fit_intercept:
        Mt = torch.cat([M, torch.ones((n, C), dtype=view.dtype, device=device)], 1)
        out_t = torch.cat([col_out, torch.arange(C, device=device)])
        grad = torch.cat([grad, G.sum(dim=0)])
    else:
        Mt, out_t = M, col_out
    norms = torch.linalg.vector_norm(active.U, dim=0)
    zhat = z / norms[col_block]
    grad[:M.shape[1]] += view.alpha * zhat
    objective = (float(view.loss.value(Fb, view.Y, view.c))
                 + view.alpha * float(norms.sum()))
    return _FaceSystem(N, col_block, masks, Mt, out_t, Fb, grad, norms, zhat, objective)


@dataclass
class _SortedColumns:
    """The variables of a face system grouped by output, with the penalty's curvature.

    Attributes
    ----------
    order : LongTensor of shape (n_variables,)
        The variables of output 0 first, then of output 1, ...
    sizes : list of int
        Variables per output.
    output : LongTensor of shape (n_variables,)
        The output each sorted variable feeds.
    matrix : Tensor of shape (n_samples, n_variables)
        ``Mt``'s columns in that order.
    groups : tuple of Tensor
        Views of ``matrix``: the columns of each output.
    block : LongTensor of shape (n_variables,)
        The block of each sorted variable, -1 for intercepts.
    neuron : BoolTensor of shape (n_variables,)
        Whether a sorted variable is a face coordinate (not an intercept).
    zhat : Tensor of shape (n_variables,)
        ``z / ||u||`` of the sorted face coordinates, 0 for intercepts.
    weight : Tensor of shape (n_variables,)
        ``alpha / ||u||`` of the sorted face coordinates, 0 for intercepts.
    """

    order: torch.Tensor
    sizes: list
    output: torch.Tensor
    matrix: torch.Tensor
    groups: tuple
    block: torch.Tensor
    neuron: torch.Tensor
    zhat: torch.Tensor
    weight: torch.Tensor


def _sort_columns(view: BlockView, system: _FaceSystem) -> _SortedColumns:
    """Group the variables of ``system`` by the output they feed."""
    dtype, device, m = view.dtype, view.device, system.col_block.numel()
    order = torch.argsort(system.out_t, stable=True)
    sizes = torch.bincount(system.out_t, minlength=view.n_outputs).tolist()
    matrix = system.Mt[:, order]
    groups = torch.split(matrix, sizes, dim=1)
    block = torch.full((order.numel(),), -1, dtype=torch.long, device=device)
    neuron = order < m
    block[neuron] = system.col_block[order[neuron]]
    zhat = torch.zeros(order.numel(), dtype=dtype, device=device)
    zhat[neuron] = system.zhat[order[neuron]]
    weight = torch.zeros(order.numel(), dtype=dtype, device=device)
    weight[neuron] = view.alpha / system.norms[block[neuron]]
    return _SortedColumns(order, sizes, system.out_t[order], matrix, groups, block, neuron,
                          zhat, weight)


def _penalty_curvature(cols: _SortedColumns, sl: slice) -> torch.Tensor:
    """The group lasso's Hessian ``alpha (I - zhat zhat^T) / ||u||`` on the variables ``sl``
    (nonzero between the coordinates of one neuron)."""
    same = (cols.block[sl][:, None] == cols.block[sl][None, :]) & cols.neuron[sl][:, None]
    eye = torch.eye(same.shape[0], dtype=cols.zhat.dtype, device=cols.zhat.device)
    return cols.weight[sl][:, None] * (eye - torch.outer(cols.zhat[sl], cols.zhat[sl])) * same


def _diagonal_blocks(cols: _SortedColumns, diagonal: torch.Tensor) -> list:
    """The Hessian's block of each output: ``Mt_k^T W_kk Mt_k`` plus the penalty's curvature.

    ``diagonal`` (n_samples, n_outputs) holds the weighted loss curvatures ``W_kk`` per row.
    """
    blocks, first = [], 0
    for k, Mk in enumerate(cols.groups):
        size = Mk.shape[1]
        sl = slice(first, first + size)
        blocks.append(Mk.T @ (Mk * diagonal[:, k][:, None]) + _penalty_curvature(cols, sl))
        first += size
    return blocks


def _coupled_hessian(view: BlockView, cols: _SortedColumns, row_hessians: torch.Tensor,
                     n_coordinates: int) -> torch.Tensor:
    """The whole ridged Hessian of a loss that couples outputs, as a dense matrix.

    ``H[a, b] = sum_i Mt[i, a] W_i[c(a), c(b)] Mt[i, b]`` plus the penalty's curvature:
    one product per output, ``n m^2`` flops in all; ridged as :func:`_block_solver`
    and :func:`_coupled_product` do.
    """
    A = cols.matrix
    H = torch.empty((A.shape[1], A.shape[1]), dtype=A.dtype, device=A.device)
    first = 0
    for k, Mk in enumerate(cols.groups):
        sl = slice(first, first + Mk.shape[1])
        H[:, sl] = (A * row_hessians[:, cols.output, k]).T @ Mk
        first = sl.stop
    H += _penalty_curvature(cols, slice(None))
    scale = float(H.diagonal().max()) if H.numel() else 1.0
    H.diagonal().add_(1e-12 * scale + 1e-300)
    if view.fit_intercept:  # the softmax does not see a common shift of the intercepts
        intercepts = (cols.order >= n_coordinates).nonzero()[:, 0]
        H[intercepts[:, None], intercepts[None, :]] += 1e-10 * scale
    return H


def _block_solver(blocks: list, sizes: list) -> tuple[Callable, float, float]:
    """Factorize the diagonal blocks (ridged, in place); return their solve, ridge and scale."""
    scale = max((float(Hk.diagonal().max()) for Hk in blocks if Hk.numel()), default=1.0)
    ridge = 1e-12 * scale + 1e-300
    solvers = []
    for Hk in blocks:
        Hk.diagonal().add_(ridge)
        chol, info = torch.linalg.cholesky_ex(Hk)
        if int(info) == 0:
            solvers.append(lambda r, chol=chol: torch.cholesky_solve(r[:, None], chol)[:, 0])
        else:
            solvers.append(lambda r, Hk=Hk: torch.linalg.lstsq(Hk, r[:, None]).solution[:, 0])

    def solve(r: torch.Tensor) -> torch.Tensor:
        return torch.cat([solve_k(part) for solve_k, part in
                          zip(solvers, torch.split(r, sizes)) if part.numel()])

    return solve, ridge, scale


def _coupled_product(view: BlockView, cols: _SortedColumns, row_hessians: torch.Tensor,
                     n_coordinates: int, ridge: float, shift: float) -> Callable:
    """The product with the whole ridged Hessian of a loss that couples outputs."""
    intercepts = cols.order >= n_coordinates  # the softmax does not see a common shift of them

    def product(v: torch.Tensor) -> torch.Tensor:
        Fv = torch.stack([Mk @ vk for Mk, vk in zip(cols.groups, torch.split(v, cols.sizes))], 1)
        HF = torch.einsum("ikl,il->ik", row_hessians, Fv)
        out = torch.cat([Mk.T @ HF[:, k] for k, Mk in enumerate(cols.groups)])
        dot = torch.zeros(n_coordinates + 1, dtype=v.dtype, device=v.device).index_add_(
            0, cols.block.clamp(min=-1) + 1, cols.zhat * v)
        out += cols.weight * (v - cols.zhat * dot[cols.block + 1])
        out += ridge * v
        if view.fit_intercept:
            out[intercepts] += shift * v[intercepts].sum()
        return out

    return product


def _newton_step(view: BlockView, system: _FaceSystem, rtol: float = CG_TOL) -> torch.Tensor:
    """The Newton step ``-H^-1 grad`` on the faces, without forming ``H`` whole.

    ``H = Mt^T W Mt + P``: ``W`` the row-weighted loss Hessian, ``P`` the group-lasso
    curvature ``alpha (I - zhat zhat^T) / ||z||`` of each neuron (its columns all feed
    one output). Grouping the columns by output, ``H`` is block diagonal when the loss
    does not couple outputs: each block is factorized and solved exactly, at a cost of
    ``sum_k m_k^3`` instead of ``m^3``. For the softmax, ``H`` is formed whole and
    factorized up to ``DENSE_COUPLED`` variables; above, the off-diagonal blocks
    ``Mt_k^T (-p_k p_l) Mt_l`` are applied as products inside conjugate gradients
    preconditioned by the diagonal blocks.
    """
    loss, c = view.loss, view.c
    if loss.couples_outputs:
        rows = loss.row_hessians(system.Fb, view.Y) * c[:, None, None]
        diagonal = rows.diagonal(dim1=1, dim2=2)
    else:
        rows, diagonal = None, loss.row_curvatures(system.Fb, view.Y) * c[:, None]
    cols = _sort_columns(view, system)
    rhs = -system.grad[cols.order]
    m = system.col_block.numel()
    if rows is not None and rhs.numel() <= DENSE_COUPLED:
        H = _coupled_hessian(view, cols, rows, m)
        chol, info = torch.linalg.cholesky_ex(H)
        step = (torch.cholesky_solve(rhs[:, None], chol)[:, 0] if int(info) == 0
                else torch.linalg.lstsq(H, rhs[:, None]).solution[:, 0])
    else:
        precondition, ridge, scale = _block_solver(_diagonal_blocks(cols, diagonal),
                                                   cols.sizes)
        step = precondition(rhs)
        if rows is not None:
            product = _coupled_product(view, cols, rows, m, ridge, 1e-10 * scale)
            solved = _conjugate_gradients(product, precondition, rhs, rtol)
            if float(solved @ rhs) > 0:  # else not a descent direction (CG broke down)
                step = solved
    result = torch.empty_like(step)
    result[cols.order] = step
    return result


def _conjugate_gradients(product, precondition, rhs: torch.Tensor,
                         rtol: float = CG_TOL) -> torch.Tensor:
    """Preconditioned CG for ``H x = rhs`` from ``x = P^-1 rhs``, to a residual ``rtol ||rhs||``."""
    x = precondition(rhs)
    r = rhs - product(x)
    target = rtol * float(torch.linalg.vector_norm(rhs))
    z = precondition(r)
    d, rz = z, float(r @ z)
    for _ in range(CG_STEPS):
        if float(torch.linalg.vector_norm(r)) <= target:
            break
        Hd = product(d)
        curvature = float(d @ Hd)
        if curvature <= 0:
            break
        t = rz / curvature
        x, r = x + t * d, r - t * Hd
        z = precondition(r)
        rz, rz_old = float(r @ z), rz
        d = z + (rz / rz_old) * d
    return x


def _drop_degenerate(view: BlockView, active: ActiveBlocks, faces: _Faces) -> None:
    """Remove the blocks at zero and those whose face is the origin alone."""
    alive = torch.tensor([basis.shape[1] > 0 for basis in faces.bases], dtype=torch.bool,
                         device=view.device)
    if len(active):
        alive &= torch.linalg.vector_norm(active.U, dim=0) > 0
    if not bool(alive.all()):
        active.keep(alive)
        faces.keep(alive)


def _ratio_test(view: BlockView, active: ActiveBlocks, masks: torch.Tensor,
                dU: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """How far each block can move along ``dU`` before a row's sign flips.

    Returns the largest step ``t`` of each block (``inf`` if none blocks it) and the row
    that blocks it.
    """
    signs = 2.0 * masks - 1.0
    R = torch.clamp((view.Z @ active.U) * signs, min=0.0)
    dR = (view.Z @ dU) * signs
    leaving = (~_face_mask(view, active.faces)) & (dR < 0)
    ratios = torch.where(leaving, R / torch.where(leaving, -dR, 1.0), math.inf)
    return ratios.min(dim=0)


@dataclass
class _Move:
    """The point a line search accepts and the blocks whose faces it reached.

    Attributes
    ----------
    U : Tensor of shape (n_columns, n_active)
    b : Tensor of shape (n_outputs,)
    objective : float
    hits : LongTensor
        The blocks that stopped on a new row of their cone.
    """

    U: torch.Tensor
    b: torch.Tensor
    objective: float
    hits: torch.Tensor


def _line_search(view: BlockView, active: ActiveBlocks, b: torch.Tensor, dU: torch.Tensor,
                 db: torch.Tensor, block_t: torch.Tensor, f0: float,
                 decrease: float) -> _Move:
    """Move along ``(dU, db)`` inside the cones with sufficient decrease (Armijo).

    When several blocks are blocked before the full step, each first stops at its own
    blocking row; if that does not decrease enough, all move by one common step,
    halved until it does (no move at all if none does).
    """
    def value(U_new: torch.Tensor, b_new: torch.Tensor) -> float:
        return view.objective(view.outputs(active.ids, U_new) + b_new, U_new)

    t_max = min(1.0, float(block_t.min()))
    if t_max < 1.0 and int((block_t < 1.0).sum()) > 1:
        clip = torch.clamp(block_t, max=1.0)
        U_new, b_new = active.U + dU * clip, b + float(clip.min()) * db
        f_new = value(U_new, b_new)
        if f_new < f0 - 1e-4 * float(clip.min()) * decrease:
            return _Move(U_new, b_new, f_new, (block_t < 1.0).nonzero()[:, 0])
    t = t_max
    move = _Move(active.U, b, f0, torch.zeros(0, dtype=torch.long, device=view.device))
    if t > 1e-12:
        while t >= 1e-14:
            U_try, b_try = active.U + t * dU, b + t * db
            f_try = value(U_try, b_try)
            if f_try <= f0 - 1e-4 * t * decrease:
                move.U, move.b, move.objective = U_try, b_try, f_try
                break
            t *= 0.5
    if t == t_max and t_max < 1.0:
        move.hits = (block_t <= t_max * (1 + 1e-9)).nonzero()[:, 0]
    return move


def _grow_faces(active: ActiveBlocks, faces: _Faces, hits: torch.Tensor,
                block_row: torch.Tensor) -> int:
    """Add each hit block's blocking row to its face; return the number of faces changed."""
    changed = hits.tolist()
    for i in changed:
        active.faces[i] = torch.cat([active.faces[i], block_row[i:i + 1]])
    faces.update(active, changed)
    apex = torch.linalg.vector_norm(active.U, dim=0) <= 1e-14 * max(
        float(torch.linalg.vector_norm(active.U)), 1e-300)
    active.U[:, apex] = 0.0
    return len(changed)


def _decreased(decrease: float, f0: float, f_new: float, relative: float) -> bool:
    """Whether the step lowered the objective, by a predicted ``decrease`` above ``relative``."""
    return decrease > relative * max(1.0, abs(f_new)) and f_new < f0


def solve_on_faces(view: BlockView, active: ActiveBlocks, b: torch.Tensor, *,
                   max_steps: int = 500, tol: float = 1e-14) -> tuple[torch.Tensor, NewtonReport]:
    """Minimize the program restricted to the active blocks (in place); return the intercept.

    Stops when a Newton step decreases the objective by less than ``tol`` (relative)
    with no face change and no feasible descent direction leaving the faces.
    """
    report, changed = NewtonReport(), True  # faces changed since the last step
    faces = _Faces(view, active)
    while report.steps < max_steps:
        report.steps += 1
        _drop_degenerate(view, active, faces)
        if len(active) == 0:
            break
        system = _face_system(view, active, faces.bases, b)
        step = _newton_step(view, system, CG_LOOSE if changed else CG_TOL)
        decrease = float(-(system.grad @ step))
        dU, db = system.directions(step, active.U, b, view.fit_intercept)
        block_t, block_row = _ratio_test(view, active, system.masks, dU)
        move = _line_search(view, active, b, dU, db, block_t, system.objective, decrease)
        active.U, b = move.U, move.b
        changed = bool(move.hits.numel())
        if changed:
            report.pivots += _grow_faces(active, faces, move.hits, block_row)
            continue
        if _decreased(decrease, system.objective, move.objective, RELEASE_DECREASE):
            continue
        released = _release(view, active, b)
        changed = bool(released)
        if released:
            faces.update(active, released)
            report.pivots += len(released)
        elif not _decreased(decrease, system.objective, move.objective, tol):
            report.converged = True
            break
    F = view.outputs(active.ids, active.U)
    return view.intercept(F, b), report


def _release(view: BlockView, active: ActiveBlocks, b: torch.Tensor) -> list[int]:
    """Release the face rows that the steepest feasible descent leaves; return the blocks changed.

    At a point optimal on its face, a block ``u`` with ``g = grad_u f + alpha u / ||u||``
    is optimal on its cone iff no feasible direction descends: ``Pi_T(-g) = 0`` for the
    tangent cone ``T = {d : a_i^T d >= 0, i tight}``. Otherwise the new face is the tight
    rows that ``d* = Pi_T(-g)`` keeps tight; every row it leaves is released at once.
    Rows tight at ``u`` but missing from its face (reached by the proximal steps, or by
    round-off) join it. Unlike the signs of least-squares multipliers, ``d*`` is well
    defined where the tight rows are (nearly) dependent: there, releasing the rows of
    negative least-squares multipliers re-enters them one step later, and cycles.
    Rows in the support of the projection, and rows that ``d*`` moves by less than the
    projection's accuracy, stay. A block whose projection did not converge counts as
    changed (its face kept), so that the restricted solve is not reported converged.
    """
    if not len(active):
        return []
    F = view.outputs(active.ids, active.U) + b
    grad = view.block_gradients(view.data_gradient(F), active.ids)
    norms = torch.linalg.vector_norm(active.U, dim=0)
    g = grad + view.alpha * active.U / norms
    signs = view.cone_signs(active.ids)
    row_scale = float(torch.linalg.vector_norm(view.Z, dim=1).max())
    tight = ((view.Z @ active.U) * signs <= TIGHT * norms * row_scale) | _face_mask(
        view, active.faces)
    descent = project_onto_cones(view.Z, signs * tight, -g,
                                 support=face_support(view, active.faces),
                                 max_steps=50 * view.K)
    moves = (view.Z @ descent.points) * signs
    g_norms = torch.linalg.vector_norm(g, dim=0)
    stationary = descent.norms <= STATIONARY * torch.clamp(g_norms, min=view.alpha)
    released = (~stationary & ~descent.converged).nonzero()[:, 0].tolist()
    accuracy = 1e3 * torch.finfo(view.dtype).eps * g_norms  # as project_onto_cones'
    for i in (~stationary & descent.converged).nonzero()[:, 0].tolist():
        floor = max(TIGHT * float(descent.norms[i]), float(accuracy[i]))
        leaves = moves[:, i] > floor * row_scale
        leaves[descent.support.rows(i)] = False
        face = (tight[:, i] & ~leaves).nonzero()[:, 0]
        if not torch.equal(face, torch.sort(active.faces[i]).values):
            active.faces[i] = face
            released.append(i)
    return released

