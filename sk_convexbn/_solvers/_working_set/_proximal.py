"""Accelerated proximal gradient on the working set, with exact projections onto the cones.

The proximal map of ``alpha ||u|| + I_K(u)`` for a convex cone ``K`` is the group
soft-threshold of the projection onto ``K``: ``prox(x) = Pi_K(x) max(0, 1 - t alpha /
||Pi_K(x)||)``. Every iterate is therefore feasible, and the supports of the
projections are the faces that :mod:`._newton` then polishes. FISTA with a
backtracking step and an adaptive restart (when the objective increases).
"""

from __future__ import annotations

import math

import torch

from ..._core._cones import project_onto_cones
from .._blocks import BlockView
from ._newton import ActiveBlocks, face_support


def proximal_gradient(view: BlockView, active: ActiveBlocks, b: torch.Tensor, *,
                      max_iter: int = 200, tol: float = 1e-10, stable: int = 5) -> torch.Tensor:
    """Improve the active blocks in place by FISTA; return the intercept.

    Stops after ``max_iter`` iterations, when the objective stalls (relative change
    below ``tol``), or when the faces (supports of the projections, and which blocks
    are zero) have not changed for ``stable`` iterations: Newton's method takes over
    from there. Blocks driven to zero stay in ``active`` with a zero vector (the
    caller drops them); each block's face is set to the support of its last projection.
    """
    A = len(active)
    if A == 0:
        return b
    alpha = view.alpha
    signs = view.cone_signs(active.ids)
    interior = view.gates[:, view.pattern[active.ids]]
    support = face_support(view, active.faces)
    U, Y_, t_k = active.U.clone(), active.U.clone(), 1.0

    def smooth(V, b0):
        F = view.outputs(active.ids, V)
        b1 = view.intercept(F, b0)
        return float(view.loss.value(F + b1, view.Y, view.c)), F + b1, b1

    f_u, _, b = smooth(U, b)
    objective = f_u + alpha * float(torch.linalg.vector_norm(U, dim=0).sum())
    L = float(view.loss.curvature)
    unchanged, previous = 0, None
    for _ in range(max_iter):
        f_y, F_y, b_y = smooth(Y_, b)
        grad = view.block_gradients(view.data_gradient(F_y), active.ids)
        while True:
            projection = project_onto_cones(view.Z, signs, Y_ - grad / L, support=support,
                                            interior=interior)
            norms = torch.clamp(projection.norms, min=1e-300)
            U_new = projection.points * torch.clamp(1.0 - alpha / (L * norms), min=0.0)
            f_new, _, b_new = smooth(U_new, b_y)
            step = U_new - Y_
            if f_new <= f_y + float((grad * step).sum()) + 0.5 * L * float((step**2).sum()) \
                    + 1e-13 * abs(f_y):
                break
            L *= 2.0
        support = projection.support
        new_objective = f_new + alpha * float(torch.linalg.vector_norm(U_new, dim=0).sum())
        if new_objective > objective:  # adaptive restart
            Y_, t_k = U.clone(), 1.0
            continue
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t_k * t_k))
        Y_ = U_new + ((t_k - 1.0) / t_next) * (U_new - U)
        change = objective - new_objective
        U, b, t_k, objective = U_new, b_new, t_next, new_objective
        L *= 0.9
        if change <= tol * max(abs(objective), 1e-300):
            break
        faces = (support.size.clone(), support.index.clone(), norms > alpha / L)
        if previous is not None and all(
                a.shape == p.shape and torch.equal(a, p) for a, p in zip(faces, previous)):
            unchanged += 1
            if unchanged >= stable:
                break
        else:
            unchanged = 0
        previous = faces
    active.U = U
    active.faces = [support.rows(i).clone() for i in range(A)]
    return b
