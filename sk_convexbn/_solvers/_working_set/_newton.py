"""The inner solver: Newton's method on the faces of the pattern cones (an active-set method).

At the optimum of a program over sampled patterns, most blocks lie on a low-dimensional
face of their cone (their hyperplane passes through data points): the constraints of
those rows hold with equality. On a fixed face ``{u : a_i^T u = 0, i in T}`` a block is
``u = N z`` (``N`` an orthonormal basis of the face's span), the constraints of the
other rows are inactive nearby, and the restricted program is smooth in ``z``::

    minimize  L(sum_b sigma_b D_b Z N_b z_b + b) + alpha sum_b ||z_b||

Newton's method solves it fast; the face changes when a step would leave the cone
(the row that blocks it joins ``T``, a ratio test) or when a tight row's multiplier
turns negative (it leaves ``T``). Every iterate is feasible, so the network it defines
has exactly the program's objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from ._blocks import BlockView

#: Tight rows are released (multipliers checked) once a Newton step decreases the
#: objective by less than this (relative), before Newton has converged on the faces.
RELEASE_DECREASE = 1e-6


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


def _padded_faces(view: BlockView, ids: torch.Tensor, faces: list) -> tuple:
    """Constraint rows ``a_i = (2 D_i - 1) z_i`` of each block's face, zero-padded.

    Returns rows (n_blocks, width, K) and the mask of real entries (n_blocks, width).
    """
    width = max((int(f.numel()) for f in faces), default=0)
    index = torch.zeros((len(faces), width), dtype=torch.long, device=view.device)
    mask = torch.zeros((len(faces), width), dtype=torch.bool, device=view.device)
    for i, rows in enumerate(faces):
        index[i, : rows.numel()] = rows
        mask[i, : rows.numel()] = True
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
#: relative to the gradient, or after CG_STEPS iterations.
CG_TOL = 1e-12
CG_STEPS = 200


def _newton_step(view: BlockView, Mt: torch.Tensor, out_t: torch.Tensor, Fb: torch.Tensor,
                 grad: torch.Tensor, col_block: torch.Tensor, norms: torch.Tensor,
                 zhat: torch.Tensor) -> torch.Tensor:
    """The Newton step ``-H^-1 grad`` on the faces, without forming ``H`` whole.

    ``H = Mt^T W Mt + P``: ``W`` the row-weighted loss Hessian, ``P`` the group-lasso
    curvature ``alpha (I - zhat zhat^T) / ||z||`` of each neuron (its columns all feed
    one output). Grouping the columns by output, ``H`` is block diagonal when the loss
    does not couple outputs: each block is factorized and solved exactly, at a cost of
    ``sum_k m_k^3`` instead of ``m^3``. For the softmax, the off-diagonal blocks
    ``Mt_k^T (-p_k p_l) Mt_l`` are applied as products inside conjugate gradients
    preconditioned by those diagonal blocks.
    """
    loss, c, alpha, m = view.loss, view.c, view.alpha, col_block.numel()
    C, dtype, device = view.n_outputs, view.dtype, view.device
    order = torch.argsort(out_t, stable=True)  # columns of output 0, then 1, ...
    sizes = torch.bincount(out_t, minlength=C).tolist()
    M = Mt[:, order]
    groups = torch.split(M, sizes, dim=1)
    if loss.couples_outputs:
        rows = loss.row_hessians(Fb, view.Y) * c[:, None, None]
        diagonal = rows.diagonal(dim1=1, dim2=2)
    else:
        rows, diagonal = None, loss.row_curvatures(Fb, view.Y) * c[:, None]
    # the penalty's curvature, in the sorted order: neuron columns only
    sorted_block = torch.full((order.numel(),), -1, dtype=torch.long, device=device)
    is_neuron = order < m
    sorted_block[is_neuron] = col_block[order[is_neuron]]
    zs = torch.zeros(order.numel(), dtype=dtype, device=device)
    zs[is_neuron] = zhat[order[is_neuron]]
    weight = torch.zeros(order.numel(), dtype=dtype, device=device)
    weight[is_neuron] = alpha / norms[sorted_block[is_neuron]]
    blocks, first = [], 0
    for k, Mk in enumerate(groups):
        size = Mk.shape[1]
        Hk = Mk.T @ (Mk * diagonal[:, k][:, None])
        sl = slice(first, first + size)
        same = (sorted_block[sl][:, None] == sorted_block[sl][None, :]) & is_neuron[sl][:, None]
        eye = torch.eye(size, dtype=dtype, device=device)
        Hk += weight[sl][:, None] * (eye - torch.outer(zs[sl], zs[sl])) * same
        blocks.append(Hk)
        first += size
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

    def precondition(r):
        return torch.cat([solve(part) for solve, part in
                          zip(solvers, torch.split(r, sizes)) if part.numel()])

    rhs = -grad[order]
    if rows is None:
        step = precondition(rhs)
    else:
        intercepts = order >= m  # the softmax does not see a common shift of them
        shift = 1e-10 * scale

        def product(v):
            Fv = torch.stack([Mk @ vk for Mk, vk in zip(groups, torch.split(v, sizes))], 1)
            HF = torch.einsum("ikl,il->ik", rows, Fv)
            out = torch.cat([Mk.T @ HF[:, k] for k, Mk in enumerate(groups)])
            dot = torch.zeros(m + 1, dtype=dtype, device=device).index_add_(
                0, sorted_block.clamp(min=-1) + 1, zs * v)
            out += weight * (v - zs * dot[sorted_block + 1])
            out += ridge * v
            if view.fit_intercept:
                out[intercepts] += shift * v[intercepts].sum()
            return out

        step = _conjugate_gradients(product, precondition, rhs)
        if float(step @ rhs) <= 0:  # not a descent direction (CG broke down): safe step
            step = precondition(rhs)
    result = torch.empty_like(step)
    result[order] = step
    return result


def _conjugate_gradients(product, precondition, rhs: torch.Tensor) -> torch.Tensor:
    """Preconditioned CG for ``H x = rhs`` from ``x = P^-1 rhs``."""
    x = precondition(rhs)
    r = rhs - product(x)
    target = CG_TOL * float(torch.linalg.vector_norm(rhs))
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


def solve_on_faces(view: BlockView, active: ActiveBlocks, b: torch.Tensor, *,
                   max_steps: int = 500, tol: float = 1e-14) -> tuple[torch.Tensor, NewtonReport]:
    """Minimize the program restricted to the active blocks (in place); return the intercept.

    Stops when a Newton step decreases the objective by less than ``tol`` (relative)
    with no face change and every tight row's multiplier nonnegative.
    """
    report = NewtonReport()
    n, C, alpha = view.n, view.n_outputs, view.alpha
    faces = _Faces(view, active)
    while report.steps < max_steps:
        report.steps += 1
        alive = torch.tensor([basis.shape[1] > 0 for basis in faces.bases], dtype=torch.bool,
                             device=view.device)
        if len(active):
            alive &= torch.linalg.vector_norm(active.U, dim=0) > 0
        if not bool(alive.all()):
            active.keep(alive)
            faces.keep(alive)
        A = len(active)
        if A == 0:
            F = view.outputs(active.ids, active.U)
            return view.intercept(F, b), report
        dims = torch.tensor([basis.shape[1] for basis in faces.bases], device=view.device)
        col_block = torch.repeat_interleave(torch.arange(A, device=view.device), dims)
        N = torch.cat(faces.bases, dim=1)  # (K, m)
        masks = view.masks(active.ids)
        M = (view.Z @ N) * (masks * view.sign[active.ids])[:, col_block]  # (n, m)
        z = (N * active.U[:, col_block]).sum(dim=0)  # coordinates on the faces
        col_out = view.output[active.ids][col_block]
        F = torch.zeros((n, C), dtype=view.dtype, device=view.device)
        F.index_add_(1, col_out, M * z)
        Fb = F + b
        G = view.data_gradient(Fb)
        if view.fit_intercept:
            Mt = torch.cat([M, torch.ones((n, C), dtype=view.dtype, device=view.device)], 1)
            out_t = torch.cat([col_out, torch.arange(C, device=view.device)])
        else:
            Mt, out_t = M, col_out
        m = M.shape[1]
        grad = (Mt * G[:, out_t]).sum(dim=0)
        norms = torch.linalg.vector_norm(active.U, dim=0)
        zhat = z / norms[col_block]
        grad[:m] += alpha * zhat
        step = _newton_step(view, Mt, out_t, Fb, grad, col_block, norms, zhat)
        decrease = float(-(grad @ step))
        dU = torch.zeros_like(active.U).index_add_(1, col_block, N * step[:m])
        db = step[m:] if view.fit_intercept else torch.zeros_like(b)

        # ratio test: how far each block can move before a row's sign flips
        signs = 2.0 * masks - 1.0
        R = torch.clamp((view.Z @ active.U) * signs, min=0.0)
        dR = (view.Z @ dU) * signs
        tight = torch.zeros((n, A), dtype=torch.bool, device=view.device)
        sizes = torch.tensor([int(f.numel()) for f in active.faces], device=view.device)
        if int(sizes.sum()):
            tight[torch.cat(active.faces), torch.repeat_interleave(
                torch.arange(A, device=view.device), sizes)] = True
        leaving = (~tight) & (dR < 0)
        ratios = torch.where(leaving, R / torch.where(leaving, -dR, 1.0), math.inf)
        block_t, block_row = ratios.min(dim=0)
        t_max = min(1.0, float(block_t.min()))
        f0 = float(view.loss.value(Fb, view.Y, view.c)) + alpha * float(norms.sum())

        def value(U_new, b_new):
            return view.objective(view.outputs(active.ids, U_new) + b_new, U_new)

        hits = torch.zeros(0, dtype=torch.long, device=view.device)
        accepted = False
        if t_max < 1.0 and int((block_t < 1.0).sum()) > 1:
            # each block stops at its own first blocking row: many faces change at once
            clip = torch.clamp(block_t, max=1.0)
            U_new, b_new = active.U + dU * clip, b + db
            f_new = value(U_new, b_new)
            if f_new < f0 - 1e-4 * float(clip.min()) * decrease:
                hits, accepted = (block_t < 1.0).nonzero()[:, 0], True
        if not accepted:
            t = t_max
            U_new, b_new, f_new = active.U, b, f0
            if t > 1e-12:
                while t >= 1e-14:
                    U_try, b_try = active.U + t * dU, b + t * db
                    f_try = value(U_try, b_try)
                    if f_try <= f0 - 1e-4 * t * decrease:
                        U_new, b_new, f_new = U_try, b_try, f_try
                        break
                    t *= 0.5
            if t == t_max and t_max < 1.0:
                hits = (block_t <= t_max * (1 + 1e-9)).nonzero()[:, 0]
        active.U, b = U_new, b_new
        if hits.numel():
            changed = hits.tolist()
            for i in changed:
                active.faces[i] = torch.cat([active.faces[i], block_row[i:i + 1]])
            faces.update(active, changed)
            report.pivots += len(changed)
            apex = torch.linalg.vector_norm(active.U, dim=0) <= 1e-14 * max(
                float(torch.linalg.vector_norm(active.U)), 1e-300)
            active.U[:, apex] = 0.0
            continue
        if decrease > RELEASE_DECREASE * max(1.0, abs(f_new)) and f_new < f0:
            continue
        released = _release(view, active, b)
        if not released and decrease > tol * max(1.0, abs(f_new)) and f_new < f0:
            continue
        if not released:
            report.converged = True
            break
        faces.update(active, released)
        report.pivots += len(released)
    F = view.outputs(active.ids, active.U)
    return view.intercept(F, b), report


def _release(view: BlockView, active: ActiveBlocks, b: torch.Tensor) -> list[int]:
    """Drop the tight rows whose multiplier is negative; return the blocks that changed.

    At a point optimal on the faces, ``grad_u f + alpha u / ||u|| = A_T^T mu`` for the
    tight rows ``T``; the point is optimal for the cone iff ``mu >= 0``.
    """
    with_rows = [i for i, rows in enumerate(active.faces) if rows.numel()]
    if not with_rows:
        return []
    ids = active.ids[with_rows]
    F = view.outputs(active.ids, active.U) + b
    grad = view.block_gradients(view.data_gradient(F), ids)
    U = active.U[:, with_rows]
    rhs = grad + view.alpha * U / torch.linalg.vector_norm(U, dim=0)
    rows, mask = _padded_faces(view, ids, [active.faces[i] for i in with_rows])
    mu = torch.linalg.lstsq(rows.transpose(1, 2), rhs.T[:, :, None]).solution[:, :, 0]
    mu = torch.where(mask, mu, torch.inf)
    largest = torch.where(mask, mu.abs(), 0.0).amax(dim=1, keepdim=True)
    negative = mask & (mu < -1e-9 * torch.clamp(largest, min=1e-300))
    released = []
    for j in negative.any(dim=1).nonzero()[:, 0].tolist():
        i = with_rows[j]
        keep = ~negative[j, : active.faces[i].numel()]
        active.faces[i] = active.faces[i][keep]
        released.append(i)
    return released
