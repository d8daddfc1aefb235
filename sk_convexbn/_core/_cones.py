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


def _least_squares(state: "_ActiveSet", cones: torch.Tensor | slice) -> torch.Tensor:
    """``nu = -(B B^T)^{-1} B x`` on the support rows ``B`` of each cone, 0 elsewhere.

    Reads the cached Gram matrix and products ``B x`` of the slots, restricted to the
    leading slots that hold a support row of any of ``cones``. Returns (n, width).
    """
    member = state.member[cones]
    used = member.any(dim=0).nonzero()
    w = int(used[-1]) + 1 if used.numel() else 0
    nu = torch.zeros(member.shape, dtype=state.gram.dtype, device=member.device)
    if w == 0:
        return nu
    mask = member[:, :w]
    gram = state.gram[cones, :w, :w] * (mask[:, :, None] & mask[:, None, :])
    scale = torch.clamp(gram.diagonal(dim1=1, dim2=2).amax(dim=1), min=1.0)
    ridge = 64 * torch.finfo(gram.dtype).eps * scale
    gram.diagonal(dim1=1, dim2=2).add_(torch.where(mask, ridge[:, None], 1.0))
    rhs = -(state.products[cones, :w] * mask)[:, :, None]
    chol, info = torch.linalg.cholesky_ex(gram)
    bad = info != 0
    if bool(bad.any()):  # numerically dependent rows: fall back to a least-squares solve
        solved = torch.linalg.lstsq(gram[bad], rhs[bad]).solution
    solution = torch.cholesky_solve(rhs, chol)
    if bool(bad.any()):
        solution[bad] = solved
    nu[:, :w] = solution[:, :, 0] * mask
    return nu


@dataclass
class _Cones:
    """The batch of one call, stored one row per cone.

    Attributes
    ----------
    Z : Tensor of shape (n_samples, n_columns)
    signs : Tensor of shape (n_samples, n_cones)
    signs_t : Tensor of shape (n_cones, n_samples)
        ``signs`` transposed.
    Xt : Tensor of shape (n_cones, n_columns)
        The points to project.
    """

    Z: torch.Tensor
    signs: torch.Tensor
    signs_t: torch.Tensor
    Xt: torch.Tensor

    def rows(self, cones: torch.Tensor | slice, index: torch.Tensor) -> torch.Tensor:
        """Rows ``a_i = s_i z_i`` held in the slots ``index`` (one row per cone of ``cones``)."""
        return _rows(self.Z, self.signs_t[cones], index)


@dataclass
class _ActiveSet:
    """Lawson-Hanson state of every cone: a slot per possible support row.

    Each slot keeps its row, its inner products with the other slots' rows and with
    the point, so that a step of the method costs one new row's products instead of
    a Gram matrix.

    Attributes
    ----------
    index : LongTensor of shape (n_cones, width)
        The row held by each slot.
    member : BoolTensor of shape (n_cones, width)
        Whether the slot's row is in the support.
    nu : Tensor of shape (n_cones, width)
        Dual multipliers of the slots (0 outside the support).
    rows : Tensor of shape (n_cones, width, n_columns)
        ``a_i = s_i z_i`` of the row held by each slot.
    gram : Tensor of shape (n_cones, width, width)
        ``rows @ rows^T``.
    products : Tensor of shape (n_cones, width)
        ``rows @ x``.
    """

    index: torch.Tensor
    member: torch.Tensor
    nu: torch.Tensor
    rows: torch.Tensor
    gram: torch.Tensor
    products: torch.Tensor

    @property
    def width(self) -> int:
        """Slots per cone: ``n_columns + 1``."""
        return self.index.shape[1]

    def points(self, cones: _Cones, which: torch.Tensor | slice) -> torch.Tensor:
        """``x + A^T nu`` of the cones ``which``: shape (len(which), n_columns)."""
        return cones.Xt[which] + (self.nu[which, None, :] @ self.rows[which])[:, 0]

    def support(self) -> ConeSupport:
        """The support rows of every cone, packed to the front."""
        size = self.member.sum(dim=1)
        order = torch.argsort((~self.member).to(torch.int8), dim=1, stable=True)
        width = int(size.max()) if self.index.shape[0] else 0
        return ConeSupport(torch.gather(self.index, 1, order)[:, :width], size)


def bytes_per_cone(n_samples: int, n_columns: int, itemsize: int) -> int:
    """Memory a projection of :func:`project_onto_cones` takes per cone, about.

    Per row: the signs (twice), constraint values, margins and their temporaries; per
    slot: its row, its Gram row and the least-squares solve's copies of the Gram
    matrix (measured: 268 KB per cone for 1,437 rows and 64 columns; this gives 260).
    """
    width = n_columns + 1
    return itemsize * (8 * n_samples + width * (n_columns + 4 * width))


def _start_active_set(cones: _Cones, support: ConeSupport | None) -> _ActiveSet:
    """Empty supports, or the rows of ``support`` whose multipliers stay positive."""
    W, K = cones.Xt.shape
    width = K + 1
    device, dtype = cones.Z.device, cones.Z.dtype
    index = torch.zeros((W, width), dtype=torch.long, device=device)
    member = torch.zeros((W, width), dtype=torch.bool, device=device)
    rows = torch.zeros((W, width, K), dtype=dtype, device=device)
    gram = torch.zeros((W, width, width), dtype=dtype, device=device)
    products = torch.zeros((W, width), dtype=dtype, device=device)
    state = _ActiveSet(index, member, torch.zeros((W, width), dtype=dtype, device=device),
                       rows, gram, products)
    k = 0 if support is None else min(width - 1, support.index.shape[1])
    if k == 0:
        return state
    index[:, :k] = support.index[:, :k]
    member[:, :k] = torch.arange(k, device=device)[None, :] < support.size[:, None]
    rows[:, :k] = cones.rows(slice(None), index[:, :k])
    gram[:, :k, :k] = rows[:, :k] @ rows[:, :k].transpose(1, 2)
    products[:, :k] = (rows[:, :k] @ cones.Xt[:, :, None])[:, :, 0]
    if bool(member.any()):
        for _ in range(width):
            s = _least_squares(state, slice(None))
            negative = member & (s <= 0)
            if not bool(negative.any()):
                break
            member &= ~negative
        state.nu = torch.where(member, s, 0.0)
    return state


def _residuals(cones: _Cones, state: _ActiveSet, live: torch.Tensor,
               U: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Constraint values ``A u`` of the live cones, and which rows are in their supports.

    Support rows hold with equality by construction; their value is set to ``+inf``.
    Both results have shape (n_live, n_samples).
    """
    R = ((cones.Z @ U.T) * cones.signs[:, live]).T
    in_support = torch.zeros(R.shape, dtype=torch.int32, device=R.device).scatter_add_(
        1, state.index[live], state.member[live].to(torch.int32)) > 0
    R.masked_fill_(in_support, torch.inf)
    return R, in_support


class _LowerBound:
    """Lower bounds on ``||Pi_K(x)||`` from feasible points along a direction inside each cone.

    Parameters
    ----------
    cones : _Cones
    interior : Tensor of shape (n_columns, n_cones)
        A direction strictly inside each cone.
    """

    def __init__(self, cones: _Cones, interior: torch.Tensor):
        self.inside = interior.T.contiguous()  # (W, K)
        self.margins = ((cones.Z @ interior) * cones.signs).T  # (W, n), > 0
        self.values = torch.zeros(cones.Xt.shape[0], dtype=cones.Z.dtype, device=cones.Z.device)

    def tighten(self, cones: _Cones, live: torch.Tensor, U: torch.Tensor, R: torch.Tensor,
                in_support: torch.Tensor) -> None:
        """Raise the bounds of the live cones with their iterates ``U`` and residuals ``R``."""
        # u + t g is feasible for the smallest t >= 0 that fixes every violated row
        t = torch.clamp(-R.masked_fill(in_support, 0.0) / self.margins[live], min=0.0).amax(dim=1)
        feasible = U + t[:, None] * self.inside[live]
        bound = (feasible * cones.Xt[live]).sum(dim=1) / torch.clamp(
            torch.linalg.vector_norm(feasible, dim=1), min=1e-300)
        self.values[live] = torch.maximum(self.values[live], torch.clamp(bound, min=0.0))


@dataclass
class _EarlyStops:
    """The optional early stops of :func:`project_onto_cones`, per cone.

    Attributes
    ----------
    below, above : Tensor of shape (n_cones,) or None
        ``stop_below`` and ``stop_above``.
    bound : _LowerBound or None
        Present when an interior direction is given.
    """

    below: torch.Tensor | None
    above: torch.Tensor | None
    bound: _LowerBound | None

    def reached(self, cones: _Cones, live: torch.Tensor, U: torch.Tensor, R: torch.Tensor,
                in_support: torch.Tensor) -> torch.Tensor:
        """Tighten the lower bounds of the live cones; return which of them may stop."""
        reached = torch.zeros(live.shape, dtype=torch.bool, device=live.device)
        if self.below is not None:
            reached |= torch.linalg.vector_norm(U, dim=1) <= self.below[live]
        if self.bound is not None:
            self.bound.tighten(cones, live, U, R, in_support)
            if self.above is not None:
                reached |= self.bound.values[live] > self.above[live]
        return reached


def _per_cone(value: float | torch.Tensor | None, cones: _Cones) -> torch.Tensor | None:
    """``value`` broadcast to one entry per cone (None stays None)."""
    if value is None:
        return None
    return torch.as_tensor(value, dtype=cones.Z.dtype, device=cones.Z.device).expand(
        cones.Xt.shape[0])


def _enter(cones: _Cones, state: _ActiveSet, grow: torch.Tensor, rows: torch.Tensor) -> None:
    """Put row ``rows[i]`` into a free slot of cone ``grow[i]``'s support."""
    slot = torch.argmax((~state.member[grow]).to(torch.int8), dim=1)
    state.index[grow, slot] = rows
    state.member[grow, slot] = True
    a = cones.rows(grow, rows[:, None])[:, 0]
    state.rows[grow, slot] = a
    inner = (state.rows[grow] @ a[:, :, None])[:, :, 0]
    state.gram[grow, slot, :] = inner
    state.gram[grow, :, slot] = inner
    state.products[grow, slot] = (a * cones.Xt[grow]).sum(dim=1)


def _restore_nonnegativity(cones: _Cones, state: _ActiveSet, grow: torch.Tensor) -> None:
    """Lawson-Hanson's inner loop: new multipliers ``nu >= 0`` on the supports of ``grow``.

    The least-squares multipliers on the support are taken where they are positive;
    elsewhere ``nu`` moves towards them until an entry vanishes and its row leaves the
    support, and the solve is repeated.
    """
    eps = torch.finfo(cones.Z.dtype).eps
    sub = grow
    for _ in range(state.width):
        s = _least_squares(state, sub)
        negative = state.member[sub] & (s <= 0)
        bad = negative.any(dim=1)
        state.nu[sub[~bad]] = s[~bad]
        if not bool(bad.any()):
            break
        sub, s, negative = sub[bad], s[bad], negative[bad]
        old = state.nu[sub]
        ratio = torch.where(negative, old / torch.clamp(old - s, min=1e-300), torch.inf)
        step = torch.clamp(ratio.amin(dim=1), max=1.0)
        moved = old + step[:, None] * (s - old)
        vanish = state.member[sub] & (moved <= eps * torch.clamp(
            moved.abs().amax(dim=1, keepdim=True), min=1e-300))
        state.member[sub] &= ~vanish
        state.nu[sub] = torch.where(state.member[sub], moved, 0.0)


def _lawson_hanson(cones: _Cones, state: _ActiveSet, threshold: torch.Tensor,
                   stops: _EarlyStops, max_steps: int) -> tuple[int, torch.Tensor]:
    """Run the active-set method on every cone (``state`` in place).

    Returns the number of steps taken and which cones converged (no row violated by
    more than ``threshold``).
    """
    W = cones.Xt.shape[0]
    running = torch.ones(W, dtype=torch.bool, device=cones.Z.device)
    converged = torch.zeros(W, dtype=torch.bool, device=cones.Z.device)
    steps = 0
    for steps in range(1, max_steps + 1):
        live = running.nonzero()[:, 0]
        U = state.points(cones, live)
        R, in_support = _residuals(cones, state, live, U)
        worst, row = R.min(dim=1)
        done = worst >= -threshold[live]
        converged[live] = done
        finished = (done | stops.reached(cones, live, U, R, in_support)
                    | state.member[live].all(dim=1))
        running[live[finished]] = False
        grow = live[~finished]
        if grow.numel() == 0:
            break
        _enter(cones, state, grow, row[~finished])
        _restore_nonnegativity(cones, state, grow)
    return steps, converged


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
    K = Z.shape[1]
    tol = 1e3 * torch.finfo(Z.dtype).eps if tol is None else tol
    max_steps = 4 * K if max_steps is None else max_steps
    cones = _Cones(Z, signs, signs.T.contiguous(), X.T.contiguous())
    row_scale = float(torch.linalg.vector_norm(Z, dim=1).max())
    threshold = tol * torch.clamp(
        torch.linalg.vector_norm(cones.Xt, dim=1), min=1e-300) * row_scale
    state = _start_active_set(cones, support)
    stops = _EarlyStops(_per_cone(stop_below, cones), _per_cone(stop_above, cones),
                        None if interior is None else _LowerBound(cones, interior))
    steps, converged = _lawson_hanson(cones, state, threshold, stops, max_steps)
    U = state.points(cones, slice(None))
    norms = torch.linalg.vector_norm(U, dim=1)
    lower = None
    if stops.bound is not None:
        lower = torch.where(converged, norms, torch.minimum(stops.bound.values, norms))
    return ConeProjection(points=U.T.contiguous(), norms=norms, converged=converged,
                          support=state.support(), steps=steps, lower=lower)
