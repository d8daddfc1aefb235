"""The three steps of one ADMM iteration, and the root finders of the s-step.

The iterate lives in :class:`Iterate`; three (n_samples, n_blocks) work arrays live
in :class:`Buffers` and each step says which of them it reads and leaves filled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._problem import ADMMProblem


@dataclass
class Iterate:
    """The ADMM variables: blocks and intercept, slacks and copies, scaled duals.

    ``U`` (K, B) blocks, ``b`` (n_outputs,) intercept; ``S`` (n, B) cone slacks
    ``s_b = A_b u_b``; ``Q`` (n, n_outputs) per-row copies of the intercept; ``Lam``
    and ``LamQ`` their scaled duals; ``phi`` (n, n_outputs) the roots of the last
    s-step (its warm start); ``F_s`` the outputs of the s-iterate; ``rho`` the penalty.
    """

    U: torch.Tensor
    b: torch.Tensor
    S: torch.Tensor
    Q: torch.Tensor
    Lam: torch.Tensor
    LamQ: torch.Tensor
    phi: torch.Tensor
    F_s: torch.Tensor
    rho: float

    def rescale_penalty(self, factor: float) -> None:
        """Multiply rho by ``factor``, keeping the unscaled duals ``rho * lambda``."""
        self.rho *= factor
        self.Lam.div_(factor)
        self.LamQ = self.LamQ / factor


@dataclass
class Buffers:
    """Work arrays of shape (n_samples, n_blocks).

    ``au``: ``A u`` after the u-step (over-relaxed by the s-step); ``v``: the s-step's
    input ``a-hat + lambda``; ``work``: scratch of the root finders and the residuals.
    """

    au: torch.Tensor
    v: torch.Tensor
    work: torch.Tensor

    @classmethod
    def allocate(cls, pb: ADMMProblem) -> "Buffers":
        empty = lambda: torch.empty((pb.n, pb.B), dtype=pb.dtype, device=pb.device)  # noqa: E731
        return cls(empty(), empty(), empty())


def group_shrink(G: torch.Tensor, threshold: float, scales: torch.Tensor | None) -> torch.Tensor:
    """``argmin_u threshold*||u|| + 0.5 u^T diag(scales) u - u^T g`` for each column g of G.

    Without scales (identity) this is the group soft-threshold. Otherwise
    ``u = g / (scales + t)`` with ``t > 0`` solving ``t ||g / (scales + t)|| = threshold``
    (increasing in t), found by safeguarded Newton on each column.
    """
    tiny = torch.finfo(G.dtype).tiny
    norms = torch.linalg.vector_norm(G, dim=0)
    active = norms > threshold
    if scales is None:
        return G * torch.where(active, 1.0 - threshold / torch.clamp(norms, min=tiny), 0.0)
    s = scales[:, None]
    excess = torch.clamp(norms - threshold, min=tiny)
    lo = threshold * scales.min() / excess
    hi = threshold * scales.max() / excess
    t = lo.clone()
    for _ in range(60):
        q = G / (s + t)
        qn = torch.linalg.vector_norm(q, dim=0)
        h = torch.where(active, t * qn - threshold, 0.0)
        if float(torch.max(torch.abs(h))) <= 1e3 * torch.finfo(G.dtype).eps * threshold:
            break
        dh = qn - t * torch.sum(G**2 / (s + t) ** 3, dim=0) / torch.clamp(qn, min=tiny)
        lo = torch.where(h < 0, t, lo)
        hi = torch.where(h > 0, t, hi)
        t = safeguard(t - h / torch.clamp(dh, min=tiny), lo, hi)
    return torch.where(active, G / (s + t), torch.zeros((), dtype=G.dtype, device=G.device))


def safeguard(newton: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Newton's candidate where it lies inside the bracket [lo, hi], else the midpoint."""
    bracketed = torch.isfinite(lo) & torch.isfinite(hi)
    outside = (newton < lo) | (newton > hi)
    return torch.where(bracketed & outside, 0.5 * (lo + hi), newton)


def u_step(pb: ADMMProblem, it: Iterate, buf: Buffers) -> None:
    """Update ``U`` and ``b``; leave ``A U`` (all blocks at once) in ``buf.au``."""
    torch.sub(it.S, it.Lam, out=buf.au)
    pb.view(buf.au).mul_(pb.cone_sign)
    it.U = group_shrink(pb.Zc.T @ buf.au, pb.alpha / it.rho, pb.scales)
    if pb.fit_intercept:
        it.b = pb.c @ (it.Q - it.LamQ) / pb.c.sum()
    torch.matmul(pb.Z, it.U, out=buf.au)
    pb.view(buf.au).mul_(pb.cone_sign)


def s_step(pb: ADMMProblem, it: Iterate, buf: Buffers, relaxation: float) -> torch.Tensor:
    """Over-relax ``buf.au`` in place, then update ``S``, ``Q``, ``phi`` and ``F_s``.

    Returns the over-relaxed intercept ``b-hat`` (the dual step needs it).
    """
    buf.au.mul_(relaxation).add_(it.S, alpha=1.0 - relaxation)
    b_hat = relaxation * it.b + (1.0 - relaxation) * it.Q
    torch.add(buf.au, it.Lam, out=buf.v)
    torch.clamp(buf.v, min=0.0, out=it.S)  # the entries where the pattern is off
    pb.view(buf.v).add_(pb.off_offset)  # -inf where off: those drop out of the row sums
    Vq = b_hat + it.LamQ
    roots = coupled_row_roots if pb.loss.couples_outputs else separable_row_roots
    it.phi, it.F_s = roots(pb, pb.view(buf.v), Vq, it.phi, it.rho, pb.view(buf.work))
    pb.view(it.S).mul_(pb.off_float)
    it.S.add_(buf.work)  # the root finders leave the entries where the pattern is on
    if pb.fit_intercept:
        it.Q = Vq - it.phi / it.rho
    return b_hat


def dual_step(pb: ADMMProblem, it: Iterate, buf: Buffers, b_hat: torch.Tensor) -> None:
    it.Lam.add_(buf.au).sub_(it.S)
    it.LamQ = it.LamQ + b_hat - it.Q


def _evaluate_rows(pb: ADMMProblem, Von, Vq, phi, rho, work):
    """``F(phi)`` and the number of active entries per (row, output) of the s-step.

    ``work`` receives ``max(Von - sigma phi / rho, 0)``; the counts destroy it (they
    are taken as ``sign``), so callers that need it recompute it at the end.
    """
    rows = work.view(pb.n * pb.n_outputs, 2 * pb.P)
    torch.sub(Von, (pb.sigma * phi[:, :, None, None]) / rho, out=work)
    rows.clamp_(min=0.0)
    F = (rows @ pb.sigma_rows).view(pb.n, pb.n_outputs)
    count = (rows.sign_() @ pb.ones_rows).view(pb.n, pb.n_outputs)
    if pb.fit_intercept:
        F = F + Vq - phi / rho
        count = count + 1.0
    return F, count


def _finish_rows(pb: ADMMProblem, Von, phi, rho, work):
    torch.sub(Von, (pb.sigma * phi[:, :, None, None]) / rho, out=work)
    work.clamp_(min=0.0)


class _NewtonStop:
    """Stopping rule shared by the s-step root finders.

    Converged once the largest residual is at rounding level, or stops shrinking
    while no row changes its linear piece (float32 cannot reach the float64 level),
    or at the iteration limit.
    """

    def __init__(self, pb: ADMMProblem, max_newton: int):
        self.eps, self.max_newton = pb.eps, max_newton
        self.tol, self.previous = None, (math.inf, None)

    def __call__(self, iteration: int, largest: float, phi, count) -> bool:
        if self.tol is None:
            self.tol = 64 * self.eps * (1.0 + float(torch.abs(phi).max()) + largest)
        stalled = largest > 0.5 * self.previous[0] and torch.equal(count, self.previous[1])
        if largest <= self.tol or stalled or iteration == self.max_newton - 1:
            return True
        self.previous = (largest, count)
        return False


def separable_row_roots(pb: ADMMProblem, Von, Vq, phi, rho, work, max_newton=60):
    """The coupled part of the s-step for a loss separable over outputs: one scalar root
    per (row, output).

    Per row i and output c the s-step minimizes ``g(sum_b sigma_b s_b + q)
    + rho/2 (sum_b (s_b - v_b)^2 + (q - v_q)^2)`` over ``s >= 0`` (``q`` only with an
    intercept), ``g`` the row's loss. With ``phi = g'(f)``:
    ``s_b = max(v_b - sigma_b phi/rho, 0)``, ``q = v_q - phi/rho``, and ``phi`` is the
    root of the increasing ``r(phi) = phi - g'(F(phi))`` (``F`` is decreasing and
    piecewise linear), found by safeguarded Newton. ``Von`` holds ``v`` where the
    pattern is on and ``-inf`` elsewhere, so off entries drop out of ``F``. ``work``
    is scratch space; on return it holds ``max(Von - sigma phi / rho, 0)``.

    Returns the roots and the outputs ``F(phi)`` (intercept copy included).
    """
    loss = pb.loss
    lo = torch.full_like(phi, -math.inf)
    hi = torch.full_like(phi, math.inf)
    stop = _NewtonStop(pb, max_newton)
    for iteration in range(max_newton):
        F, count = _evaluate_rows(pb, Von, Vq, phi, rho, work)
        r = phi - loss.row_gradients(F, pb.Y)
        if stop(iteration, float(torch.abs(r).max()), phi, count):
            break
        lo = torch.where(r < 0, torch.maximum(lo, phi), lo)
        hi = torch.where(r > 0, torch.minimum(hi, phi), hi)
        phi = safeguard(phi - r / (1.0 + loss.row_curvatures(F, pb.Y) * count / rho), lo, hi)
    _finish_rows(pb, Von, phi, rho, work)
    return phi, F


def coupled_row_roots(pb: ADMMProblem, Von, Vq, phi, rho, work, max_newton=60):
    """The s-step for a loss that couples the outputs of a row: one root in ``R^n_outputs``.

    ``phi = grad l(F(phi))`` with each ``F_c`` depending on ``phi_c`` only. Newton's
    method on this monotone system solves one small system per row (Jacobian
    ``I + H diag(k / rho)``, ``H`` the row's loss Hessian, ``k`` the active counts);
    a step that does not reduce a row's residual is halved.
    """
    loss = pb.loss
    eye = torch.eye(pb.n_outputs, dtype=pb.dtype, device=pb.device)
    step = torch.zeros_like(phi)
    best = torch.full((pb.n,), math.inf, dtype=pb.dtype, device=pb.device)
    stop = _NewtonStop(pb, max_newton)
    for iteration in range(max_newton):
        F, count = _evaluate_rows(pb, Von, Vq, phi, rho, work)
        r = phi - loss.row_gradients(F, pb.Y)
        norms = torch.linalg.vector_norm(r, dim=1)
        if stop(iteration, float(norms.max()), phi, count):
            break
        worse = norms > best  # backtrack these rows: halve their last step
        if bool(worse.any()):
            step = torch.where(worse[:, None], 0.5 * step, step)
            phi = torch.where(worse[:, None], phi - step, phi)
            if float(torch.abs(step).max()) <= stop.tol:
                break
            continue
        best = norms
        jacobian = eye + loss.row_hessians(F, pb.Y) * (count / rho)[:, None, :]
        step = -torch.linalg.solve(jacobian, r)
        phi = phi + step
    _finish_rows(pb, Von, phi, rho, work)
    return phi, F
