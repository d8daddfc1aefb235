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


def _hessian(view: BlockView, Mt: torch.Tensor, out_t: torch.Tensor, F: torch.Tensor
             ) -> torch.Tensor:
    """``Mt^T H Mt`` with ``H`` the (row-weighted) loss Hessian, column outputs ``out_t``."""
    loss, c = view.loss, view.c
    m = Mt.shape[1]
    H = torch.zeros((m, m), dtype=view.dtype, device=view.device)
    columns = [(out_t == k).nonzero()[:, 0] for k in range(view.n_outputs)]
    if loss.couples_outputs:
        rows = loss.row_hessians(F, view.Y) * c[:, None, None]
        for k1, cols1 in enumerate(columns):
            for k2, cols2 in enumerate(columns[k1:], start=k1):
                block = Mt[:, cols1].T @ (Mt[:, cols2] * rows[:, k1, k2][:, None])
                H[cols1[:, None], cols2[None, :]] = block
                if k2 != k1:
                    H[cols2[:, None], cols1[None, :]] = block.T
    else:
        curv = loss.row_curvatures(F, view.Y) * c[:, None]
        for k, cols in enumerate(columns):
            if cols.numel():
                Mk = Mt[:, cols]
                H[cols[:, None], cols[None, :]] = Mk.T @ (Mk * curv[:, k][:, None])
    return H


def solve_on_faces(view: BlockView, active: ActiveBlocks, b: torch.Tensor, *,
                   max_steps: int = 500, tol: float = 1e-14) -> tuple[torch.Tensor, NewtonReport]:
    """Minimize the program restricted to the active blocks (in place); return the intercept.

    Stops when a Newton step decreases the objective by less than ``tol`` (relative)
    with no face change and every tight row's multiplier nonnegative.
    """
    report = NewtonReport()
    n, K, C, alpha = view.n, view.K, view.n_outputs, view.alpha
    faces = _Faces(view, active)
    eye_c = torch.ones(C, dtype=view.dtype, device=view.device)
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
        H = _hessian(view, Mt, out_t, Fb)
        norms = torch.linalg.vector_norm(active.U, dim=0)
        zhat = z / norms[col_block]
        grad[:m] += alpha * zhat
        # the penalty's curvature: alpha (I - zhat zhat^T) / ||z|| on each neuron's block
        same = col_block[:, None] == col_block[None, :]
        curvature = (alpha / norms[col_block])[:, None] * (
            torch.eye(m, dtype=view.dtype, device=view.device) - torch.outer(zhat, zhat))
        H[:m, :m] += curvature * same
        scale = float(H.diagonal().max())
        H.diagonal().add_(1e-12 * scale + 1e-300)
        if view.fit_intercept and view.loss.couples_outputs:
            H[m:, m:] += 1e-10 * scale * torch.outer(eye_c, eye_c)  # softmax shift direction
        chol, info = torch.linalg.cholesky_ex(H)
        if int(info) == 0:
            step = -torch.cholesky_solve(grad[:, None], chol)[:, 0]
        else:
            step = -torch.linalg.lstsq(H, grad[:, None]).solution[:, 0]
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
