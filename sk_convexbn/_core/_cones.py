"""Exact projection onto the cones of activation patterns, many at once.

The block of pattern ``D`` is constrained to the polyhedral cone
``K = {u : (2D - I) Z u >= 0}``: the directions whose ReLU pattern on the whitened
rows is ``D``. Two questions about such cones drive the solvers:

* the *projection* ``Pi_K(x)``, the feasible block closest to ``x``;
* the *violation* ``||Pi_K(x)|| = max {x^T u : u in K, ||u|| <= 1}``, which decides
  whether a block at zero can lower the objective (the KKT condition at zero of the
  group-lasso block is ``||Pi_K(-grad)|| <= alpha``).

Both come from the dual problem, a nonnegative least squares problem in the rows:

.. math::

    \\Pi_K(x) = x + A^T \\nu^*,\\qquad
    \\nu^* = \\arg\\min_{\\nu \\ge 0} \\|x + A^T \\nu\\|_2,\\qquad A = (2D - I) Z,

solved here by the active-set method of Lawson and Hanson, for a batch of cones at
once (torch tensors, one row of ``A`` entering the support per step and block). Any
``nu >= 0`` gives an upper bound ``||x + A^T nu|| >= ||Pi_K(x)||``, so a projection can
stop early as soon as that bound certifies ``||Pi_K(x)|| <= threshold``. The support
(the rows with ``nu_i > 0``, the constraints tight at the projection) is returned so
that the next, nearby projection starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ConeSupport:
    """Rows of the constraints tight at a projection, per cone (warm starts).

    Attributes
    ----------
    index : LongTensor of shape (n_cones, width)
        Row indices; only ``index[j, :size[j]]`` are meaningful.
    size : LongTensor of shape (n_cones,)
    """

    index: torch.Tensor
    size: torch.Tensor

    @classmethod
    def empty(cls, n_cones: int, device=None) -> "ConeSupport":
        return cls(torch.zeros((n_cones, 0), dtype=torch.long, device=device),
                   torch.zeros(n_cones, dtype=torch.long, device=device))

    def rows(self, j: int) -> torch.Tensor:
        """The support of cone ``j`` as a 1-D tensor of row indices."""
        return self.index[j, : int(self.size[j])]

    def select(self, cones: torch.Tensor) -> "ConeSupport":
        return ConeSupport(self.index[cones], self.size[cones])


@dataclass
class ConeProjection:
    """Result of :func:`project_onto_cones`.

    Attributes
    ----------
    points : Tensor of shape (n_columns, n_cones)
        ``x + A^T nu``: the projection where ``converged``, else the current iterate
        (feasible for the cone of the support rows only).
    norms : Tensor of shape (n_cones,)
        ``||x + A^T nu||``: exactly ``||Pi_K(x)||`` where ``converged``, an upper bound
        on it everywhere.
    converged : BoolTensor of shape (n_cones,)
    lower : Tensor of shape (n_cones,) or None
        With ``interior``: a lower bound on ``||Pi_K(x)||`` (``norms`` where converged).
    support : ConeSupport
    steps : int
        Steps of the active-set method (the largest over the batch).
    """

    points: torch.Tensor
    norms: torch.Tensor
    converged: torch.Tensor
    support: ConeSupport
    steps: int
    lower: torch.Tensor | None = None


def _rows(Z: torch.Tensor, signs_t: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Rows ``a_i = s_i z_i`` of each cone's constraint matrix: shape (n_cones, width, K)."""
    return Z[index] * torch.gather(signs_t, 1, index)[:, :, None]


def _least_squares(B: torch.Tensor, mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``nu = -(B B^T)^{-1} B x`` on the masked rows of each cone, 0 elsewhere.

    ``B`` (n_cones, width, K), ``mask`` (n_cones, width), ``x`` (n_cones, K).
    """
    Bm = B * mask[:, :, None]
    gram = Bm @ Bm.transpose(1, 2)
    scale = torch.clamp(gram.diagonal(dim1=1, dim2=2).amax(dim=1), min=1.0)
    ridge = 64 * torch.finfo(B.dtype).eps * scale
    gram.diagonal(dim1=1, dim2=2).add_(torch.where(mask, ridge[:, None], 1.0))
    rhs = -(Bm @ x[:, :, None])
    chol, info = torch.linalg.cholesky_ex(gram)
    bad = info != 0
    if bool(bad.any()):  # numerically dependent rows: fall back to a least-squares solve
        solved = torch.linalg.lstsq(gram[bad], rhs[bad]).solution
    nu = torch.cholesky_solve(rhs, chol)
    if bool(bad.any()):
        nu[bad] = solved
    return nu[:, :, 0] * mask


def project_onto_cones(
    Z: torch.Tensor,
    signs: torch.Tensor,
    X: torch.Tensor,
    *,
    support: ConeSupport | None = None,
    stop_below: float | torch.Tensor | None = None,
    stop_above: float | torch.Tensor | None = None,
    interior: torch.Tensor | None = None,
    max_steps: int | None = None,
    tol: float | None = None,
) -> ConeProjection:
    """Project each column of ``X`` onto its cone ``{u : signs[:, j] * (Z u) >= 0}``.

    Parameters
    ----------
    Z : Tensor of shape (n_samples, n_columns)
    signs : Tensor of shape (n_samples, n_cones)
        ``2 D - 1`` for the pattern ``D`` of each cone (+1 where it is on).
    X : Tensor of shape (n_columns, n_cones)
    support : ConeSupport or None
        Tight rows of earlier, nearby projections (warm start).
    stop_below : float, Tensor of shape (n_cones,) or None
        Stop a cone as soon as the upper bound ``norms`` is at most this value: enough
        to certify ``||Pi_K(x)|| <= stop_below`` without the exact projection.
    stop_above : float, Tensor of shape (n_cones,) or None
        With ``interior``: stop a cone as soon as a lower bound on ``||Pi_K(x)||``
        exceeds this value (``lower`` of the result).
    interior : Tensor of shape (n_columns, n_cones) or None
        A direction strictly inside each cone (a gate of its pattern). The current
        iterate moved along it into the cone is feasible, and its normalized inner
        product with ``x`` is a lower bound on ``||Pi_K(x)||``.
    max_steps : int or None
        Limit on the active-set steps (``4 * n_columns`` by default).
    tol : float or None
        A constraint counts as satisfied when ``(A u)_i >= -tol * ||x|| * max_i ||z_i||``
        (default ``1e3 * eps``).

    Returns
    -------
    ConeProjection

    Notes
    -----
    Lawson-Hanson on ``min_{nu >= 0} ||x + A^T nu||``: the row of the most violated
    constraint enters the support; the least-squares solution on the support is
    taken if it is positive, otherwise the iterate moves towards it until an entry
    of ``nu`` vanishes, which leaves the support. Each step costs one product with
    ``Z`` for the cones still running and a small dense solve per cone.
    """
    n, K = Z.shape
    W = X.shape[1]
    dtype, device = Z.dtype, Z.device
    eps = torch.finfo(dtype).eps
    tol = 1e3 * eps if tol is None else tol
    max_steps = 4 * K if max_steps is None else max_steps
    width = K + 1
    signs_t = signs.T.contiguous()  # (W, n)
    Xt = X.T.contiguous()  # (W, K)
    row_scale = float(torch.linalg.vector_norm(Z, dim=1).max())
    threshold = tol * torch.clamp(torch.linalg.vector_norm(Xt, dim=1), min=1e-300) * row_scale
    index = torch.zeros((W, width), dtype=torch.long, device=device)
    member = torch.zeros((W, width), dtype=torch.bool, device=device)
    if support is not None and support.index.shape[1]:
        k = min(width - 1, support.index.shape[1])
        index[:, :k] = support.index[:, :k]
        member[:, :k] = torch.arange(k, device=device)[None, :] < support.size[:, None]
    nu = torch.zeros((W, width), dtype=dtype, device=device)
    if bool(member.any()):
        # warm start: keep the rows whose least-squares multipliers stay positive
        B = _rows(Z, signs_t, index)
        for _ in range(width):
            s = _least_squares(B, member, Xt)
            negative = member & (s <= 0)
            if not bool(negative.any()):
                break
            member &= ~negative
        nu = torch.where(member, s, 0.0)
    if stop_below is not None:
        stop_below = torch.as_tensor(stop_below, dtype=dtype, device=device).expand(W)
    if stop_above is not None:
        stop_above = torch.as_tensor(stop_above, dtype=dtype, device=device).expand(W)
    lower = None
    if interior is not None:
        inside = interior.T.contiguous()  # (W, K)
        margins = ((Z @ interior) * signs).T  # (W, n), > 0
        lower = torch.zeros(W, dtype=dtype, device=device)

    running = torch.ones(W, dtype=torch.bool, device=device)
    converged = torch.zeros(W, dtype=torch.bool, device=device)
    U = Xt.clone()
    steps = 0
    for steps in range(1, max_steps + 1):
        live = running.nonzero()[:, 0]
        B = _rows(Z, signs_t[live], index[live])
        U[live] = Xt[live] + (B * nu[live, :, None]).sum(dim=1)
        R = ((Z @ U[live].T) * signs[:, live]).T  # (live, n): A u
        in_support = torch.zeros(R.shape, dtype=torch.int32, device=device).scatter_add_(
            1, index[live], member[live].to(torch.int32)) > 0
        R.masked_fill_(in_support, torch.inf)  # satisfied with equality by construction
        worst, row = R.min(dim=1)
        done = worst >= -threshold[live]
        converged[live] = done
        finished = done.clone()
        if stop_below is not None:
            finished |= torch.linalg.vector_norm(U[live], dim=1) <= stop_below[live]
        if lower is not None:
            # u + t g is feasible for the smallest t >= 0 that fixes every violated row
            t = torch.clamp(-R.masked_fill(in_support, 0.0) / margins[live], min=0.0).amax(dim=1)
            feasible = U[live] + t[:, None] * inside[live]
            bound = (feasible * Xt[live]).sum(dim=1) / torch.clamp(
                torch.linalg.vector_norm(feasible, dim=1), min=1e-300)
            lower[live] = torch.maximum(lower[live], torch.clamp(bound, min=0.0))
            if stop_above is not None:
                finished |= lower[live] > stop_above[live]
        finished |= member[live].all(dim=1)
        running[live[finished]] = False
        grow = live[~finished]
        if grow.numel() == 0:
            break
        slot = torch.argmax((~member[grow]).to(torch.int8), dim=1)
        index[grow, slot] = row[~finished]
        member[grow, slot] = True
        # inner loop: keep nu >= 0 on the support
        sub = grow
        for _ in range(width):
            B = _rows(Z, signs_t[sub], index[sub])
            s = _least_squares(B, member[sub], Xt[sub])
            negative = member[sub] & (s <= 0)
            bad = negative.any(dim=1)
            good = ~bad
            nu[sub[good]] = s[good]
            if not bool(bad.any()):
                break
            sub, s, negative = sub[bad], s[bad], negative[bad]
            old = nu[sub]
            ratio = torch.where(negative, old / torch.clamp(old - s, min=1e-300), torch.inf)
            step = torch.clamp(ratio.amin(dim=1), max=1.0)
            moved = old + step[:, None] * (s - old)
            vanish = member[sub] & (moved <= eps * torch.clamp(
                moved.abs().amax(dim=1, keepdim=True), min=1e-300))
            member[sub] &= ~vanish
            nu[sub] = torch.where(member[sub], moved, 0.0)
    B = _rows(Z, signs_t, index)
    U = Xt + (B * nu[:, :, None]).sum(dim=1)
    # compact the supports
    size = member.sum(dim=1)
    order = torch.argsort((~member).to(torch.int8), dim=1, stable=True)
    compact = torch.gather(index, 1, order)[:, : int(size.max()) if W else 0]
    norms = torch.linalg.vector_norm(U, dim=1)
    if lower is not None:
        lower = torch.where(converged, norms, torch.minimum(lower, norms))
    return ConeProjection(points=U.T.contiguous(), norms=norms, converged=converged,
                          support=ConeSupport(compact, size), steps=steps, lower=lower)
