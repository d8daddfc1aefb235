"""The ADMM driver, its warm-start state and the solver object of the registry."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from ..._core._log import IterationLog
from ..._core._warnings import warn
from ..._program import ConvexProgram, ConvexSolution
from .._base import SolveRequest, Solver
from ._certificate import Candidate, certify
from ._problem import ADMMProblem
from ._steps import Buffers, Iterate, dual_step, s_step, u_step

DEFAULT_RELAXATION = 1.6
DEFAULT_CHECK_EVERY = 10
LOG_EVERY = 250  # iterations between two progress lines at verbose=1
#: Residual balancing: rho is doubled (halved) when the primal residual exceeds the
#: dual one (or the reverse) by this factor, checked with every certificate.
BALANCE_RATIO = 10.0

_DTYPES = {"float32": torch.float32, "float64": torch.float64,
           torch.float32: torch.float32, torch.float64: torch.float64}


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


def _initial_iterate(pb: ADMMProblem, program: ConvexProgram, rho: float | None,
                     warm_start: ADMMState | None) -> Iterate:
    as_t = lambda a: torch.as_tensor(a, dtype=pb.dtype, device=pb.device).clone()  # noqa: E731
    zeros = lambda *shape: torch.zeros(shape, dtype=pb.dtype, device=pb.device)  # noqa: E731
    default_rho = 0.25 * float(pb.loss.curvature) if rho is None else rho
    if warm_start is not None:
        it = Iterate(
            U=as_t(warm_start.blocks), b=as_t(warm_start.intercept),
            S=as_t(warm_start.slacks), Q=as_t(warm_start.copies),
            Lam=as_t(warm_start.duals), LamQ=as_t(warm_start.copy_duals),
            phi=as_t(warm_start.roots), F_s=as_t(warm_start.outputs), rho=warm_start.rho)
        # The penalty tuned for the previous problem can be far off for the new
        # one: restart it, keeping the unscaled duals rho * lambda.
        it.rescale_penalty(default_rho / warm_start.rho)
        return it
    n, B, C = pb.n, pb.B, pb.n_outputs
    b = zeros(C)
    if pb.fit_intercept:
        b = pb.loss.optimal_intercept(zeros(n, C), pb.Y, pb.c, b)
    Q = b.expand(n, C).clone()
    return Iterate(U=zeros(program.n_columns, B), b=b, S=zeros(n, B), Q=Q, Lam=zeros(n, B),
                   LamQ=zeros(n, C), phi=zeros(n, C), F_s=Q.clone(), rho=default_rho)


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
    progress: Callable[..., Any] | None = None,
) -> tuple[ConvexSolution, ADMMState]:
    """Solve the convex BN program by ADMM to a relative duality gap of ``tol``.

    Parameters
    ----------
    program : ConvexProgram
    max_iter : int
        Iteration limit; a :class:`~sklearn.exceptions.ConvergenceWarning` reports
        the gap reached when it is hit.
    tol : float
        Target relative duality gap ``(J - D) / J`` of the returned feasible network.
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
        1: a line with J and the gap of the feasible network every ``LOG_EVERY``
        iterations (and the last); >= 2: a line at every check, with the residuals.
    progress : callable or None
        Called at each certificate check as ``progress(iteration=, duality_gap=,
        n_active=)`` (the feasible network's gap).

    Returns
    -------
    solution : ConvexSolution
        A feasible point of the program; ``certificate`` is the relative duality
        gap at its network (never negative).
    state : ADMMState

    Notes
    -----
    Scaled-form ADMM on ``min alpha sum ||u_b|| + L(F(s, q)) + I(s >= 0)`` subject to
    ``A_b u_b = s_b`` and ``b = q_i``, in the metric ``diag(c)``, ``c = w / N``:

    .. math::

        (u, b)^{k+1} &= \\arg\\min\\ \\alpha\\textstyle\\sum_b\\|u_b\\|
            + \\tfrac{\\rho}{2}\\|A u - s^k + \\lambda^k\\|_c^2
            + \\tfrac{\\rho}{2}\\|b - q^k + \\mu^k\\|_c^2\\\\
        (s, q)^{k+1} &= \\arg\\min_{s\\ge 0}\\ L(F(s, q))
            + \\tfrac{\\rho}{2}\\|\\hat a - s + \\lambda^k\\|_c^2
            + \\tfrac{\\rho}{2}\\|\\hat b - q + \\mu^k\\|_c^2\\\\
        \\lambda^{k+1} &= \\lambda^k + \\hat a - s^{k+1},\\qquad
        \\mu^{k+1} = \\mu^k + \\hat b - q^{k+1},

    with over-relaxed ``a-hat = theta A u + (1 - theta) s`` (likewise ``b-hat``).
    Memory: five (n_samples x n_blocks) arrays of ``dtype`` (slacks, duals, three
    work arrays), besides ``Z`` and the boolean patterns.
    """
    log = IterationLog("admm", verbose, every=check_every * max(1, round(LOG_EVERY / check_every)))
    pb = ADMMProblem(program, torch.device(device), dtype)
    it = _initial_iterate(pb, program, rho, warm_start)
    buf = Buffers.allocate(pb)

    status, iteration = "max_iter", 0
    best, best_gap = Candidate(it.U, it.b, math.inf), math.inf
    for iteration in range(1, max_iter + 1):
        check = iteration % check_every == 0 or iteration == max_iter
        u_step(pb, it, buf)
        if check:  # residuals without copies of n x blocks arrays
            torch.sub(buf.au, it.S, out=buf.work)
            r_primal = math.hypot(pb.weighted_norm(buf.work), pb.weighted_norm(it.b - it.Q))
            scale_primal = max(math.hypot(pb.weighted_norm(buf.au),
                                          float(torch.linalg.vector_norm(it.b))),
                               math.hypot(pb.weighted_norm(it.S), pb.weighted_norm(it.Q)),
                               1e-300)
            torch.mul(pb.view(it.S), pb.cone_sign, out=pb.view(buf.work))
            G_old, Q_old = pb.Zc.T @ buf.work, it.Q.clone()
        b_hat = s_step(pb, it, buf, relaxation)
        dual_step(pb, it, buf, b_hat)
        if not check:
            continue

        torch.mul(pb.view(it.S), pb.cone_sign, out=pb.view(buf.work))
        r_dual = it.rho * math.hypot(
            float(torch.linalg.vector_norm(pb.Zc.T @ buf.work - G_old)),
            float(torch.linalg.vector_norm(pb.c @ (it.Q - Q_old))))
        certificate = certify(pb, it, buf, r_primal / scale_primal, iteration)
        accepted = certificate.accepted(tol)
        net, fea = certificate.network, certificate.feasible
        log(iteration, f"J {fea.objective:.10g}  gap {certificate.gap(fea):.2e}",
            details=f"iterate J {net.objective:.10g} (gap {certificate.gap(net):.2e}, "
                    f"cone violation {certificate.violation:.2e})  primal residual "
                    f"{r_primal / scale_primal:.2e}  dual residual {r_dual:.2e}  "
                    f"rho {it.rho:.3g}",
            last=accepted is not None or iteration == max_iter)
        if progress is not None:
            progress(iteration=iteration, duality_gap=certificate.gap(fea),
                     n_active=int((torch.linalg.vector_norm(fea.blocks, dim=0) > 0).sum()))
        if accepted is not None:
            best, status = accepted, "optimal"
        else:
            best = min((best, certificate.feasible), key=lambda cand: cand.objective)
        best_gap = certificate.gap(best)
        if status == "optimal":
            break
        if adapt_rho:
            if r_primal > BALANCE_RATIO * r_dual:
                it.rescale_penalty(2.0)
            elif r_dual > BALANCE_RATIO * r_primal:
                it.rescale_penalty(0.5)

    if status != "optimal":
        warn(
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
        blocks=keep(it.U), intercept=keep(it.b), slacks=keep(it.S), copies=keep(it.Q),
        duals=keep(it.Lam), copy_duals=keep(it.LamQ), roots=keep(it.phi),
        outputs=keep(it.F_s), rho=it.rho,
    )
    return solution, state


class ADMMSolver(Solver):
    """First-order ADMM with a duality-gap certificate (torch, CPU or GPU).

    ``solver_params``: ``dtype`` ("float64" or "float32"), ``rho`` (initial
    penalty), ``relaxation`` (in (0, 2)) and ``check_every`` (iterations between
    certificates).
    """

    name = "admm"
    options = ("dtype", "rho", "relaxation", "check_every")

    def check_params(self, params: dict | None) -> dict:
        options = dict(params or {})
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(
                f"solver_params for solver='admm' accepts {sorted(self.options)}; "
                f"got unknown {sorted(unknown)}."
            )
        if "dtype" in options:
            if options["dtype"] not in _DTYPES:
                raise ValueError(
                    "solver_params['dtype'] must be 'float32' or 'float64', "
                    f"got {options['dtype']!r}."
                )
            options["dtype"] = _DTYPES[options["dtype"]]
        return options

    def memory_bytes(self, program: ConvexProgram, options: dict) -> int:
        itemsize = torch.finfo(options.get("dtype", torch.float64)).bits // 8
        n, K, B = program.n_samples, program.n_columns, program.n_blocks
        return itemsize * (5 * n * B + 3 * n * K) + n * program.n_patterns

    def solve(self, program: ConvexProgram, request: SolveRequest):
        previous = request.state
        if previous is not None and not np.array_equal(previous[0], program.patterns):
            previous = None  # other data or other patterns: nothing to reuse
        solution, state = solve_admm(
            program, max_iter=request.max_iter, tol=request.tol, device=request.device,
            verbose=request.verbose, warm_start=None if previous is None else previous[1],
            progress=request.progress,
            **request.options)
        return solution, (program.patterns, state)
