"""ADMM for the exact (cone-constrained) convex BN program, written with torch tensors.

The splitting is ``A_b u_b = s_b, s_b >= 0`` with ``A_b = (2 D_p(b) - I) Z``; the
intercept ``b`` is copied into one free variable ``q_i = b`` per row. Because ``Z``
is whitened, ``A_b^T C A_b = diag(column_scales)`` (``C = diag(w) / N``), so every
step has a closed form or a scalar root:

* u-step: one GEMM with ``Z^T`` and a group soft-threshold per block; the intercept
  is a weighted mean;
* s-step: ``max(v, 0)`` where a block's pattern is off. Where it is on, the entries
  of one (row, output) couple only through the loss, and the minimizer is
  ``s_b = max(v_b - sigma_b phi / rho, 0)``, ``q = v_q - phi / rho``, with the scalar
  ``phi`` the root of a monotone equation (safeguarded Newton, warm-started). For
  the softmax cross-entropy, which couples the outputs of a row, ``phi`` is a
  vector of ``R^C`` per row, found by Newton's method with ``C x C`` solves;
* dual step elementwise; one GEMM with ``Z`` gives ``A_b u_b`` for all blocks.

Blocks are laid out as ``(n_outputs, 2, n_patterns)`` (patterns innermost, so that
broadcasts over rows and signs stay vectorized) and every (n x blocks) tensor is
handled as one array: there is no Python loop over patterns or neurons.

The certificate is the relative duality gap ``(J - D) / J``: ``J`` is the objective
of a network defined by the blocks (ReLU outputs, not pattern masks, so constraint
violations count), ``D`` the value of the dual at a feasible point built from the
ADMM multipliers, a lower bound on the optimum over the sampled patterns. Two
networks are checked: the iterate itself, accepted when its gap and the relative
violation of the cone constraints are both below ``tol``, and the iterate moved into
its cones along each pattern's gate (feasible, so ``J`` is also an upper bound on
the optimum), accepted when its gap is below ``tol``.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from .._losses import Loss
from .._program import ConvexProgram, ConvexSolution

DEFAULT_RELAXATION = 1.6
DEFAULT_CHECK_EVERY = 10
#: Residual balancing: rho is doubled (halved) when the primal residual exceeds the
#: dual one (or the reverse) by this factor, checked with every certificate.
BALANCE_RATIO = 10.0


@dataclass
class ADMMState:
    """Iterates of the ADMM, as NumPy arrays (warm starts, pickling)."""

    blocks: np.ndarray  # (n_columns, n_blocks)
    intercept: np.ndarray  # (n_outputs,)
    slacks: np.ndarray  # (n_samples, n_blocks)
    copies: np.ndarray  # (n_samples, n_outputs): per-row copies q of the intercept
    duals: np.ndarray  # (n_samples, n_blocks), scaled
    copy_duals: np.ndarray  # (n_samples, n_outputs), scaled
    roots: np.ndarray  # (n_samples, n_outputs), warm start of the row roots
    outputs: np.ndarray  # (n_samples, n_outputs), outputs of the s-iterate
    rho: float


class _Problem:
    """Torch views of a ConvexProgram on one device and dtype."""

    def __init__(self, program: ConvexProgram, device: torch.device, dtype: torch.dtype):
        as_t = lambda a: torch.as_tensor(np.asarray(a), dtype=dtype, device=device)  # noqa: E731
        n, P, C = program.n_samples, program.n_patterns, program.n_outputs
        self.n, self.P, self.C, self.B = n, P, C, 2 * P * C
        self.Z = as_t(program.Z)
        self.c = as_t(program.row_coefficients)
        self.Zc = self.Z * self.c[:, None]
        self.Y = as_t(program.targets)
        self.loss: Loss = program.loss
        self.alpha = float(program.alpha)
        self.fit_intercept = bool(program.fit_intercept)
        self.scales = None if np.allclose(program.column_scales, 1.0) else as_t(
            program.column_scales)
        self.on = torch.as_tensor(program.patterns, device=device).reshape(n, 1, 1, P)
        self.cone_sign = self.on.to(dtype) * 2.0 - 1.0  # +1 where on, -1 where off
        self.on_float = self.on.to(dtype)
        self.off_float = 1.0 - self.on_float
        # added to v, it removes the entries where the pattern is off from the row sums
        self.off_offset = torch.zeros((n, 1, 1, P), dtype=dtype, device=device)
        self.off_offset.masked_fill_(~self.on, -math.inf)
        self.sigma = torch.tensor([1.0, -1.0], dtype=dtype, device=device).view(1, 1, 2, 1)
        self.sigma_rows = self.sigma.view(2, 1).expand(2, P).reshape(2 * P)
        self.ones_rows = torch.ones(2 * P, dtype=dtype, device=device)
        self.dtype, self.device = dtype, device
        self.eps = torch.finfo(dtype).eps
        if program.gates is None:
            raise ValueError("the ADMM solver needs the gates of the patterns (program.gates)")
        self.gates = as_t(program.gates)  # (K, P)
        Zg = self.Z @ self.gates  # (n, P); (2D - I) Z g = |Z g| >= 0
        self.gate_outputs = Zg.view(n, 1, 1, P)
        self.gate_margins = Zg.abs().view(n, 1, 1, P)

    def view(self, T: torch.Tensor) -> torch.Tensor:
        """(n, B) -> (n, C, 2, P)."""
        return T.view(self.n, self.C, 2, self.P)

    def signed_row_sums(self, T: torch.Tensor) -> torch.Tensor:
        """``sum_(p, sign) sigma * T`` for an (n, B) tensor -> (n, C)."""
        return (T.view(self.n * self.C, 2 * self.P) @ self.sigma_rows).view(self.n, self.C)

    def weighted_norm(self, T: torch.Tensor) -> float:
        """``||T||_C = sqrt(sum_i c_i ||T_i||^2)``."""
        return float(torch.sqrt(self.c @ torch.linalg.vector_norm(T, dim=1) ** 2))


def _group_shrink(G: torch.Tensor, threshold: float, scales: torch.Tensor | None) -> torch.Tensor:
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
        t = _safeguard(t - h / torch.clamp(dh, min=tiny), lo, hi)
    return torch.where(active, G / (s + t), torch.zeros((), dtype=G.dtype, device=G.device))


def _safeguard(newton: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Newton's candidate where it lies inside the bracket [lo, hi], else the midpoint."""
    bracketed = torch.isfinite(lo) & torch.isfinite(hi)
    outside = (newton < lo) | (newton > hi)
    return torch.where(bracketed & outside, 0.5 * (lo + hi), newton)


def _evaluate_rows(pb: _Problem, Von, Vq, phi, rho, work):
    """``F(phi)`` and the number of active entries per (row, output) of the s-step.

    ``work`` receives ``max(Von - sigma phi / rho, 0)``; the counts destroy it (they
    are taken as ``sign``), so callers that need it recompute it at the end.
    """
    rows = work.view(pb.n * pb.C, 2 * pb.P)
    torch.sub(Von, (pb.sigma * phi[:, :, None, None]) / rho, out=work)
    rows.clamp_(min=0.0)
    F = (rows @ pb.sigma_rows).view(pb.n, pb.C)
    count = (rows.sign_() @ pb.ones_rows).view(pb.n, pb.C)
    if pb.fit_intercept:
        F = F + Vq - phi / rho
        count = count + 1.0
    return F, count


def _finish_rows(pb: _Problem, Von, phi, rho, work):
    torch.sub(Von, (pb.sigma * phi[:, :, None, None]) / rho, out=work)
    work.clamp_(min=0.0)


class _NewtonStop:
    """Stopping rule shared by the s-step root finders.

    Converged once the largest residual is at rounding level, or stops shrinking
    while no row changes its linear piece (float32 cannot reach the float64 level),
    or at the iteration limit.
    """

    def __init__(self, pb: _Problem, max_newton: int):
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


def _row_roots(pb: _Problem, Von, Vq, gradient, curvature, phi, rho, work, max_newton=60):
    """Solve the coupled part of the s-step: one scalar root per (row, output).

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
    lo = torch.full_like(phi, -math.inf)
    hi = torch.full_like(phi, math.inf)
    stop = _NewtonStop(pb, max_newton)
    for iteration in range(max_newton):
        F, count = _evaluate_rows(pb, Von, Vq, phi, rho, work)
        r = phi - gradient(F)
        if stop(iteration, float(torch.abs(r).max()), phi, count):
            break
        lo = torch.where(r < 0, torch.maximum(lo, phi), lo)
        hi = torch.where(r > 0, torch.minimum(hi, phi), hi)
        phi = _safeguard(phi - r / (1.0 + curvature(F) * count / rho), lo, hi)
    _finish_rows(pb, Von, phi, rho, work)
    return phi, F


def _softmax_row_roots(pb: _Problem, Von, Vq, phi, rho, work, max_newton=60):
    """The s-step for the softmax cross-entropy: one root ``phi`` in ``R^C`` per row.

    The outputs of a row couple through the loss: ``phi = softmax(F(phi)) - y`` with
    each ``F_c`` depending on ``phi_c`` only. Newton's method on this monotone
    system solves one ``C x C`` system per row (Jacobian ``I + H diag(k / rho)``,
    ``H = diag(p) - p p^T``, ``k`` the active counts); a step that does not reduce a
    row's residual is halved.
    """
    eye = torch.eye(pb.C, dtype=pb.dtype, device=pb.device)
    step = torch.zeros_like(phi)
    best = torch.full((pb.n,), math.inf, dtype=pb.dtype, device=pb.device)
    stop = _NewtonStop(pb, max_newton)
    for iteration in range(max_newton):
        F, count = _evaluate_rows(pb, Von, Vq, phi, rho, work)
        p = torch.softmax(F, dim=1)
        r = phi - (p - pb.Y)
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
        H = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
        jacobian = eye + H * (count / rho)[:, None, :]
        step = -torch.linalg.solve(jacobian, r)
        phi = phi + step
    _finish_rows(pb, Von, phi, rho, work)
    return phi, F


def _feasible_blocks(pb: _Problem, U, ZU, work):
    """Move each block into its cone along its gate: ``u + t_b g_p(b)``, in place of ``ZU``.

    ``t_b = max_i max(-(A_b u_b)_i, 0) / (A_b g_p)_i`` is the smallest step that
    satisfies every constraint ``(A_b u)_i >= 0`` (the gate satisfies them all
    strictly), so the returned blocks are feasible for the program and the network
    they define has exactly the program's objective. ``ZU`` becomes ``Z`` times them.
    """
    A = pb.view(work)
    torch.mul(pb.view(ZU), pb.cone_sign, out=A)
    A.neg_().clamp_(min=0.0).div_(pb.gate_margins)
    t = torch.nan_to_num(A.amax(dim=0), nan=0.0)  # (C, 2, P); 0/0 where both vanish
    pb.view(ZU).addcmul_(pb.gate_outputs, t)
    steps = pb.gates[:, None, None, :] * t  # (K, C, 2, P)
    return U + steps.reshape(U.shape)


@dataclass
class _Candidate:
    """A network defined by blocks, with its objective J and its optimal intercept."""

    blocks: torch.Tensor
    intercept: torch.Tensor
    objective: float


def _network_candidate(pb: _Problem, U, ZU, b, work) -> _Candidate:
    """Objective of the network ``sum_b sigma_b relu(Z u_b) + intercept`` (``ZU = Z U``)."""
    loss = pb.loss
    F = pb.signed_row_sums(torch.clamp(ZU, min=0.0, out=work))
    intercept = loss.optimal_intercept(F, pb.Y, pb.c, b) if pb.fit_intercept else b
    objective = float(loss.value(F + intercept, pb.Y, pb.c)) + pb.alpha * float(
        torch.linalg.vector_norm(U, dim=0).sum())
    return _Candidate(U, intercept, objective)


def _dual_value(pb: _Problem, Lam, rho, F_s, work, scratch) -> float:
    """Value of the dual at a feasible point built from the s-iterate and the duals.

    ``Theta = C grad l(F_s)`` (re-centred when there is an intercept) with ``nu`` read
    off the scaled duals: ``rho C lambda`` has the form ``sigma D theta - (2D - I) nu``
    up to the projection below. The point is scaled by ``min(1, alpha / max_b
    ||Z^T r_b||)`` into the dual feasible set, so its value bounds the optimum from below.
    """
    loss = pb.loss
    Theta = pb.c[:, None] * loss.row_gradients(F_s, pb.Y)  # (n, C)
    if pb.fit_intercept:
        Theta = Theta - pb.c[:, None] * (Theta.sum(dim=0) / pb.c.sum())
    r4, tmp = pb.view(work), pb.view(scratch)
    torch.mul(pb.view(Lam), rho * pb.c[:, None, None, None], out=r4)
    r4.mul_(pb.cone_sign)
    # where on: min(r, sigma theta) = r - relu(r - sigma theta); where off: max(r, 0)
    torch.sub(r4, pb.sigma * Theta[:, :, None, None], out=tmp)
    tmp.clamp_(min=0.0).mul_(pb.on_float)
    r4.sub_(tmp)
    torch.neg(r4, out=tmp)
    tmp.clamp_(min=0.0).mul_(pb.off_float)
    r4.add_(tmp)
    dual_norms = torch.linalg.vector_norm(pb.Z.T @ work, dim=0)
    scale = min(1.0, pb.alpha / max(float(dual_norms.max()), 1e-300))
    return -float(loss.conjugate(scale * Theta, pb.Y, pb.c))


def solve_admm(
    program: ConvexProgram,
    *,
    max_iter: int = 10_000,
    tol: float = 1e-6,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float64,
    rho: float | None = None,
    relaxation: float = DEFAULT_RELAXATION,
    check_every: int = DEFAULT_CHECK_EVERY,
    adapt_rho: bool = True,
    warm_start: ADMMState | None = None,
    verbose: int = 0,
) -> tuple[ConvexSolution, ADMMState]:
    """Solve the convex BN program by ADMM to a relative duality gap of ``tol``.

    Parameters
    ----------
    program : ConvexProgram
    max_iter : int
        Iteration limit; a :class:`~sklearn.exceptions.ConvergenceWarning` reports
        the gap reached when it is hit.
    tol : float
        Target relative duality gap ``(J - D) / J`` (and, for an iterate that does
        not satisfy the cone constraints exactly, target relative violation).
    device : str or torch.device
    dtype : torch.dtype
        ``torch.float64`` (default) or ``torch.float32`` (faster; gaps to ~1e-5).
    rho : float or None
        Initial penalty; adapted every ``check_every`` iterations when ``adapt_rho``.
    relaxation : float
        Over-relaxation factor in (0, 2).
    check_every : int
        Iterations between certificate checks and penalty updates.
    adapt_rho : bool
    warm_start : ADMMState or None
        Iterates of a previous solve on the same data and patterns.
    verbose : int

    Returns
    -------
    solution : ConvexSolution
        ``certificate`` is the relative duality gap at the returned network
        (negative when that network, using activation patterns beyond the sampled
        ones, beats the program's optimum).
    state : ADMMState

    Notes
    -----
    Scaled-form ADMM on ``min alpha sum ||u_b|| + L(F(s, q)) + I(s >= 0)`` subject to
    ``A_b u_b = s_b`` and ``b = q_i``, in the metric ``C = diag(w)/N``:

    .. math::

        (u, b)^{k+1} &= \\arg\\min\\ \\alpha\\textstyle\\sum_b\\|u_b\\|
            + \\tfrac{\\rho}{2}\\|A u - s^k + \\lambda^k\\|_C^2
            + \\tfrac{\\rho}{2}\\|b - q^k + \\mu^k\\|_C^2\\\\
        (s, q)^{k+1} &= \\arg\\min_{s\\ge 0}\\ L(F(s, q))
            + \\tfrac{\\rho}{2}\\|\\hat a - s + \\lambda^k\\|_C^2
            + \\tfrac{\\rho}{2}\\|\\hat b - q + \\mu^k\\|_C^2\\\\
        \\lambda^{k+1} &= \\lambda^k + \\hat a - s^{k+1},\\qquad
        \\mu^{k+1} = \\mu^k + \\hat b - q^{k+1},

    with over-relaxed ``a-hat = theta A u + (1 - theta) s`` (likewise ``b-hat``).
    Memory: five (n_samples x n_blocks) arrays of ``dtype`` (slacks, duals, three
    work arrays), besides ``Z`` and the boolean patterns.
    """
    start = time.perf_counter()
    device = torch.device(device)
    pb = _Problem(program, device, dtype)
    loss = pb.loss
    h = float(loss.curvature)
    n, B, C = pb.n, pb.B, pb.C
    as_t = lambda a: torch.as_tensor(a, dtype=dtype, device=device).clone()  # noqa: E731
    zeros = lambda *shape: torch.zeros(shape, dtype=dtype, device=device)  # noqa: E731

    if warm_start is not None:
        U, b = as_t(warm_start.blocks), as_t(warm_start.intercept)
        S, Q = as_t(warm_start.slacks), as_t(warm_start.copies)
        Lam, LamQ = as_t(warm_start.duals), as_t(warm_start.copy_duals)
        phi, F_cur = as_t(warm_start.roots), as_t(warm_start.outputs)
        # The penalty tuned for the previous problem can be far off for the new
        # one: restart it, rescaling the scaled duals (rho * lambda is invariant).
        new_rho = 0.25 * h if rho is None else rho
        Lam.mul_(warm_start.rho / new_rho)
        LamQ.mul_(warm_start.rho / new_rho)
        rho = new_rho
    else:
        U, b, S, Lam = zeros(program.n_columns, B), zeros(C), zeros(n, B), zeros(n, B)
        if pb.fit_intercept:
            b = loss.optimal_intercept(zeros(n, C), pb.Y, pb.c, b)
        Q, LamQ, phi = b.expand(n, C).clone(), zeros(n, C), zeros(n, C)
        F_cur = Q.clone()
        rho = 0.25 * h if rho is None else rho
    T1, T2, T3 = (torch.empty((n, B), dtype=dtype, device=device) for _ in range(3))
    # The s-step uses each loss exactly: per (row, output) roots for the squared and
    # logistic losses, per-row C-dimensional roots for the softmax cross-entropy.
    softmax = loss.name == "log_loss" and C > 1
    gradient = lambda F: loss.row_gradients(F, pb.Y)  # noqa: E731
    curvature = lambda F: (torch.ones_like(F) if loss.name == "squared_error"  # noqa: E731
                           else torch.sigmoid(F) * torch.sigmoid(-F))

    status, iteration = "max_iter", 0
    best, best_gap = _Candidate(U, b, math.inf), math.inf
    for iteration in range(1, max_iter + 1):
        check = iteration % check_every == 0 or iteration == max_iter
        # (u, b)-step
        torch.sub(S, Lam, out=T1)
        pb.view(T1).mul_(pb.cone_sign)
        U = _group_shrink(pb.Zc.T @ T1, pb.alpha / rho, pb.scales)
        if pb.fit_intercept:
            b = pb.c @ (Q - LamQ) / pb.c.sum()
        # A u for every block, over-relaxed
        torch.matmul(pb.Z, U, out=T1)
        pb.view(T1).mul_(pb.cone_sign)
        if check:  # residuals without copies of n x blocks arrays
            torch.sub(T1, S, out=T3)
            r_primal = math.hypot(pb.weighted_norm(T3), pb.weighted_norm(b - Q))
            scale_primal = max(math.hypot(pb.weighted_norm(T1), float(torch.linalg.vector_norm(b))),
                               math.hypot(pb.weighted_norm(S), pb.weighted_norm(Q)), 1e-300)
            torch.mul(pb.view(S), pb.cone_sign, out=pb.view(T3))
            G_old, Q_old = pb.Zc.T @ T3, Q.clone()
        T1.mul_(relaxation).add_(S, alpha=1.0 - relaxation)
        b_hat = relaxation * b + (1.0 - relaxation) * Q
        # (s, q)-step
        torch.add(T1, Lam, out=T2)
        torch.clamp(T2, min=0.0, out=S)
        pb.view(T2).add_(pb.off_offset)
        Vq = b_hat + LamQ
        # T3 is left holding max(v - sigma phi / rho, 0) (zero where patterns are off)
        if softmax:
            phi, F_cur = _softmax_row_roots(pb, pb.view(T2), Vq, phi, rho, pb.view(T3))
        else:
            phi, F_cur = _row_roots(pb, pb.view(T2), Vq, gradient, curvature, phi, rho,
                                    pb.view(T3))
        pb.view(S).mul_(pb.off_float)
        S.add_(T3)
        Q = Vq - phi / rho if pb.fit_intercept else Q
        # dual step
        Lam.add_(T1).sub_(S)
        LamQ = LamQ + b_hat - Q

        if not check:
            continue
        torch.mul(pb.view(S), pb.cone_sign, out=pb.view(T3))
        r_dual = rho * math.hypot(float(torch.linalg.vector_norm(pb.Zc.T @ T3 - G_old)),
                                  float(torch.linalg.vector_norm(pb.c @ (Q - Q_old))))
        # Two networks: the blocks as they are (J may even beat the program's optimum
        # while constraints are violated) and the blocks moved into their cones
        # (feasible, J >= optimum). The dual value bounds the optimum from below.
        torch.matmul(pb.Z, U, out=T2)
        network = _network_candidate(pb, U, T2, b, T3)
        feasible = _network_candidate(pb, _feasible_blocks(pb, U, T2, T3), T2, b, T3)
        dual = _dual_value(pb, Lam, rho, F_cur, T3, T2)
        if not (math.isfinite(network.objective) and math.isfinite(dual)):
            raise FloatingPointError(
                f"ADMM produced non-finite values at iteration {iteration}: standardize "
                "X (and y), use dtype float64, or raise alpha."
            )
        gap_of = lambda cand: (cand.objective - dual) / max(abs(cand.objective), 1e-300)  # noqa: E731
        violation = r_primal / scale_primal
        if verbose:
            print(
                f"[admm] iter {iteration:6d}  objective {network.objective:.10g}  "
                f"gap {gap_of(network):.2e}  violation {violation:.2e}  feasible "
                f"{feasible.objective:.10g} (gap {gap_of(feasible):.2e})  "
                f"r_d {r_dual:.2e}  rho {rho:.3g}  {time.perf_counter() - start:.2f}s"
            )
        if gap_of(feasible) <= tol:
            best, status = feasible, "optimal"
        elif gap_of(network) <= tol and violation <= tol:
            best, status = network, "optimal"
        else:
            best = min((best, feasible, network), key=lambda cand: cand.objective)
        best_gap = gap_of(best)
        if status == "optimal":
            break
        if adapt_rho:
            factor = 1.0
            if r_primal > BALANCE_RATIO * r_dual:
                factor = 2.0
            elif r_dual > BALANCE_RATIO * r_primal:
                factor = 0.5
            if factor != 1.0:
                rho *= factor
                Lam.div_(factor)
                LamQ = LamQ / factor

    if status != "optimal":
        warnings.warn(
            f"ADMM stopped after max_iter={max_iter} iterations with a relative "
            f"duality gap of {best_gap:.3e} > tol={tol:g}; increase max_iter or tol.",
            ConvergenceWarning,
        )
    _, sign, output = program.block_layout()
    to_np = lambda T: T.detach().to("cpu", torch.float64).numpy()  # noqa: E731
    solution = ConvexSolution(
        blocks=to_np(best.blocks), signs=sign, outputs=output, intercept=to_np(best.intercept),
        objective=best.objective, n_iter=iteration, status=status, certificate=best_gap,
    )
    keep = lambda T: T.detach().to("cpu").numpy()  # noqa: E731  (compute dtype)
    state = ADMMState(
        blocks=keep(U), intercept=keep(b), slacks=keep(S), copies=keep(Q),
        duals=keep(Lam), copy_duals=keep(LamQ), roots=keep(phi),
        outputs=keep(F_cur), rho=rho,
    )
    return solution, state
