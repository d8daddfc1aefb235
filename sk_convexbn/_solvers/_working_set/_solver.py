"""The working-set solver: grow a small set of blocks, solve it exactly, certify the whole program."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from ..._core._cones import ConeSupport, project_onto_cones
from ..._core._log import IterationLog
from ..._core._warnings import warn
from ..._program import ConvexProgram, ConvexSolution, SolveStatus
from .._base import DTYPE, SolveRequest, Solver, WarmState
from .._blocks import VIOLATION, BlockView, centred_gradient, check_optimality, screen_blocks
from ._newton import ActiveBlocks, solve_on_faces
from ._proximal import proximal_gradient

#: Blocks added to the working set in the first round: FIRST_ROUND, or FIRST_PER_OUTPUT
#: per output where that is more; later rounds add as many as are already active (the
#: working set at most doubles), as skglm and celer do. Measured (OMP_NUM_THREADS=1,
#: default fits, side by side): digits (10 outputs) 24-27 s with 10 blocks, 19-21 s
#: with 20, 24 s with 30; iris, wine, breast_cancer fastest with 10 (20-60 % slower
#: with 20 or 40); the 2,000 x 50 regression within noise.
FIRST_ROUND = 10
FIRST_PER_OUTPUT = 2
#: Each round solves the restricted program by Newton's method on the faces (at most
#: NEWTON_FIRST steps: enough when few faces change); if it has not converged, by
#: proximal gradient (which finds the faces; at most PROXIMAL_ITERATIONS, until the
#: objective changes by less than PROXIMAL_TOL, relative) and Newton again.
NEWTON_FIRST = 30
PROXIMAL_ITERATIONS = 200
PROXIMAL_TOL = 1e-7
NEWTON_STEPS = 50
#: Certified rounds in a row with no block entering, the restricted program solved
#: (Newton converged) and the gap not shrinking by a tenth, after which the solver
#: stops as stalled (round-off on ill-conditioned
#: programs, e.g. separable classes at an alpha many decades below alpha_max).
STALLED_ROUNDS = 3


@dataclass
class WorkingSetState(WarmState):
    """What a later solve starts from: the same data at another ``alpha``, or more patterns.

    Blocks are identified by (pattern, sign, output), so the state stays valid when
    patterns are appended to the program (pattern generation).
    """

    solver = "working_set"

    patterns: np.ndarray
    pattern: np.ndarray  # (n_active,) pattern, sign and output of each active block
    sign: np.ndarray
    output: np.ndarray
    blocks: np.ndarray
    faces: list
    intercept: np.ndarray
    support_index: np.ndarray  # warm starts of every block's cone projection
    support_size: np.ndarray

    def applies_to(self, program: ConvexProgram) -> bool:
        """Whether ``program`` has the same rows and (a superset of) the same patterns."""
        P = self.patterns.shape[1]
        return (program.n_columns == self.blocks.shape[0]
                and program.n_outputs > int(self.output.max(initial=-1))
                and program.patterns.shape[0] == self.patterns.shape[0]
                and program.n_patterns >= P
                and np.array_equal(program.patterns[:, :P], self.patterns))

    def ids(self, program: ConvexProgram) -> np.ndarray:
        return program.block_index(self.pattern, self.sign, self.output)

    def supports(self, program: ConvexProgram) -> tuple[np.ndarray, np.ndarray]:
        """The stored warm starts laid out for the blocks of ``program``."""
        P_old = self.patterns.shape[1]
        index = np.zeros((program.n_blocks, self.support_index.shape[1]), dtype=np.int64)
        size = np.zeros(program.n_blocks, dtype=np.int64)
        pattern, sign, output = program.block_layout()
        old = pattern < P_old
        old_ids = (output[old] * 2 + (sign[old] < 0)) * P_old + pattern[old]
        index[old], size[old] = self.support_index[old_ids], self.support_size[old_ids]
        return index, size


def _entering(view: BlockView, ids: torch.Tensor, gradients: torch.Tensor,
              supports: ConeSupport, crowd: torch.Tensor) -> tuple:
    """Initial vectors and faces of blocks entering the working set.

    Each enters along ``Pi_K(-grad_b)`` (the feasible direction of steepest descent,
    by an exact projection warm-started from the optimality check), on the face of
    that projection, with the amplitude of one Newton step along it divided by the
    number of blocks entering or active for the same output (``crowd``).
    """
    projection = project_onto_cones(view.Z, view.cone_signs(ids), -gradients[:, ids],
                                    support=supports.select(ids))
    norms = torch.clamp(projection.norms, min=1e-300)
    d = projection.points / norms
    out = (view.Z @ d) * view.masks(ids)
    curvature = view.c @ out**2 * float(view.loss.curvature) + 1e-300
    amplitude = torch.clamp(projection.norms - view.alpha, min=0.0) / curvature / crowd
    support = projection.support
    faces = [support.rows(j).clone() for j in range(ids.numel())]
    keep = projection.converged & (projection.norms > view.alpha)
    return d * amplitude, faces, keep


def solve_working_set(program: ConvexProgram, *, tol: float = 1e-6, max_iter: int = 100,
                      device: torch.device = torch.device("cpu"),
                      dtype: torch.dtype = torch.float64,
                      warm_start: WorkingSetState | None = None, verbose: int = 0,
                      progress: Callable[..., Any] | None = None
                      ) -> tuple[ConvexSolution, WorkingSetState]:
    """Solve the convex BN program over all its patterns by a working set of blocks.

    Parameters
    ----------
    program : ConvexProgram
    tol : float
        Target relative duality gap ``(J - D) / J`` over the whole program.
    max_iter : int
        Limit on the outer iterations (rounds of the working set).
    device, dtype
    warm_start : WorkingSetState or None
        A solve of the same program (same patterns) at another ``alpha``.
    verbose : int
        1: a line per round (its gap, or "screened" when the cheap bounds already
        found entering blocks; active and entering blocks); >= 2 adds Newton's steps.
    progress : callable or None
        Called after each round's check as ``progress(iteration=, duality_gap=,
        n_active=)`` (NaN gap when only the screen ran).

    Returns
    -------
    solution : ConvexSolution
        A feasible point: its network's J is the program's objective there, and
        ``certificate`` is the relative duality gap, never negative.
    state : WorkingSetState

    Notes
    -----
    Each round checks the optimality condition of every block at zero,
    ``||Pi_K(-grad_b)|| <= alpha`` (a screen ``||grad_b|| <= alpha`` first, an exact
    cone projection where it fails), adds the most violating blocks, and solves the
    program restricted to the working set exactly by Newton's method on the faces of
    the pattern cones. The duality gap is that of the whole program, with the dual
    point ``Theta = s c grad l(F)`` scaled into the dual feasible set.
    """
    log = IterationLog("working_set", verbose, every=1)  # a few rounds: each one shown
    view = BlockView(program, torch.device(device), dtype)
    active, supports, b = _starting_point(view, warm_start)
    b = view.intercept(view.outputs(active.ids, active.U), b)
    status, gap, rounds, steps = SolveStatus.MAX_ITER, np.inf, 0, 0
    stalled, previous_gap, inner_converged = 0, np.inf, False
    for rounds in range(1, max_iter + 1):
        check = _check_round(view, active, b, supports)
        gap = check.gap if check.certified else gap
        # the certificate, max(gap, 0): round-off can put the dual value a hair above J
        log(rounds, f"{f'gap {max(gap, 0.0):.2e}' if check.certified else 'screened'}  active "
                    f"{len(active)}  entering {int(check.entering.sum())}",
            details=f"newton steps so far {steps}", last=check.certified and gap <= tol)
        if progress is not None:
            progress(iteration=rounds, duality_gap=gap if check.certified else math.nan,
                     n_active=len(active))
        if check.certified and gap <= tol:
            status = SolveStatus.OPTIMAL
            break
        candidates = check.entering.nonzero()[:, 0]
        stalled = stalled + 1 if check.certified and inner_converged and not (
            candidates.numel()) and gap > 0.9 * previous_gap else 0
        previous_gap = gap if check.certified else previous_gap
        if stalled >= STALLED_ROUNDS:
            status = SolveStatus.STALLED
            break
        if candidates.numel():
            _grow(view, active, candidates, check, supports)
        b, n_steps, inner_converged = _solve_restricted(view, active, b)
        steps += n_steps
    _warn_unfinished(status, rounds, max_iter, gap, tol)
    return _solution_and_state(program, view, active, b, supports, status, gap, rounds)


def _starting_point(view: BlockView, warm_start: WorkingSetState | None
                    ) -> tuple[ActiveBlocks, ConeSupport, torch.Tensor]:
    """The working set, the projections' warm starts and the intercept to start from."""
    dtype, device = view.dtype, view.device
    b = torch.zeros(view.n_outputs, dtype=dtype, device=device)
    if warm_start is None or not warm_start.applies_to(view.program):
        zeros = torch.zeros((view.K, 0), dtype=dtype, device=device)
        active = ActiveBlocks(torch.zeros(0, dtype=torch.long, device=device), zeros, [])
        return active, ConeSupport.empty(view.n_blocks, device), b
    as_t = lambda a: torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731
    active = ActiveBlocks(torch.as_tensor(warm_start.ids(view.program), device=device),
                          as_t(warm_start.blocks),
                          [torch.as_tensor(f, device=device) for f in warm_start.faces])
    index, size = warm_start.supports(view.program)
    supports = ConeSupport(torch.as_tensor(index, device=device),
                           torch.as_tensor(size, device=device))
    return active, supports, as_t(warm_start.intercept)


class _RoundCheck(NamedTuple):
    """One round's optimality check: whether it certified a gap, and the blocks to add."""

    certified: bool
    gap: float  # NaN unless certified
    gradients: torch.Tensor
    upper: torch.Tensor
    lower: torch.Tensor
    entering: torch.Tensor  # (n_blocks,) bool


def _check_round(view: BlockView, active: ActiveBlocks, b: torch.Tensor,
                 supports: ConeSupport) -> _RoundCheck:
    """Cheap bounds first; the exact check (and the gap) only when they find no block."""
    F = view.outputs(active.ids, active.U) + b
    in_set = torch.zeros(view.n_blocks, dtype=torch.bool, device=view.device)
    in_set[active.ids] = True
    threshold = view.alpha * (1 + VIOLATION)
    grad, upper, lower = screen_blocks(view, centred_gradient(view, F))
    entering = (lower > threshold) & ~in_set
    if bool(entering.any()):
        return _RoundCheck(False, math.nan, grad, upper, lower, entering)
    check = check_optimality(view, F, active.U, supports, exact=in_set)
    entering = (check.lower > threshold) & ~in_set
    if not bool(entering.any()):  # only bounded, not certified: the uncertain ones
        entering = (check.upper > threshold) & ~in_set
    return _RoundCheck(True, check.gap, check.gradients, check.upper, check.lower, entering)


def _grow(view: BlockView, active: ActiveBlocks, candidates: torch.Tensor,
          check: _RoundCheck, supports: ConeSupport) -> None:
    """Add the most violating candidates: at most as many as are active (or as the
    first round adds)."""
    k = max(FIRST_ROUND, FIRST_PER_OUTPUT * view.n_outputs, len(active))
    order = torch.argsort(torch.maximum(check.lower, check.upper * 1e-3)[candidates],
                          descending=True)[:k]
    new = candidates[order]
    per_output = torch.bincount(torch.cat([view.output[new], view.output[active.ids]]),
                                minlength=view.n_outputs).to(view.dtype)
    U_new, faces_new, keep = _entering(view, new, check.gradients, supports,
                                       per_output[view.output[new]])
    where = keep.nonzero()[:, 0].tolist()
    active.extend(new[keep], U_new[:, keep], [faces_new[i] for i in where])


def _solve_restricted(view: BlockView, active: ActiveBlocks, b: torch.Tensor
                      ) -> tuple[torch.Tensor, int, bool]:
    """The program restricted to the working set: Newton on the faces, and if it has
    not converged, proximal gradient to find the faces and Newton again.

    Returns the intercept, the Newton steps taken and whether Newton converged.
    """
    b, report = solve_on_faces(view, active, b, max_steps=NEWTON_FIRST)
    steps = report.steps
    if not report.converged:
        b = proximal_gradient(view, active, b, max_iter=PROXIMAL_ITERATIONS, tol=PROXIMAL_TOL)
        active.keep(torch.linalg.vector_norm(active.U, dim=0) > 0)
        b, report = solve_on_faces(view, active, b, max_steps=NEWTON_STEPS)
        steps += report.steps
    return b, steps, report.converged


def _warn_unfinished(status: SolveStatus, rounds: int, max_iter: int, gap: float,
                     tol: float) -> None:
    if status is SolveStatus.MAX_ITER:
        warn(
            f"the working-set solver stopped after max_iter={max_iter} rounds with a "
            f"relative duality gap of {gap:.3e} > tol={tol:g}; increase max_iter or tol.",
            ConvergenceWarning,
        )
    elif status is SolveStatus.STALLED:
        warn(
            f"the working-set solver stalled after {rounds} rounds at a relative duality "
            f"gap of {gap:.3e} > tol={tol:g} (round-off on an ill-conditioned program; "
            "a larger alpha or a looser tol avoids it).", ConvergenceWarning,
        )


def _solution_and_state(program: ConvexProgram, view: BlockView, active: ActiveBlocks,
                        b: torch.Tensor, supports: ConeSupport, status: SolveStatus,
                        gap: float, rounds: int) -> tuple[ConvexSolution, WorkingSetState]:
    """The solution (every block, zeros outside the working set) and the warm state."""
    pattern, sign, output = program.block_layout()
    blocks = np.zeros((program.n_columns, program.n_blocks))
    ids = active.ids.cpu().numpy()
    blocks[:, ids] = active.U.detach().to("cpu", torch.float64).numpy()
    F = view.outputs(active.ids, active.U) + b
    solution = ConvexSolution(
        blocks=blocks, signs=sign, outputs=output, intercept=b.cpu().double().numpy(),
        objective=view.objective(F, active.U), n_iter=rounds, status=status,
        certificate=max(gap, 0.0),
    )
    state = WorkingSetState(
        patterns=program.patterns, pattern=pattern[ids], sign=sign[ids], output=output[ids],
        blocks=active.U.cpu().numpy(), faces=[f.cpu().numpy() for f in active.faces],
        intercept=b.cpu().numpy(), support_index=supports.index.cpu().numpy(),
        support_size=supports.size.cpu().numpy(),
    )
    return solution, state


class WorkingSetSolver(Solver):
    """Exact solver by a working set of blocks and Newton's method on cone faces.

    ``solver_params``: ``dtype`` ("float64" or "float32").
    """

    name = "working_set"
    options = {"dtype": DTYPE}

    def memory_bytes(self, program: ConvexProgram, options: dict) -> int:
        itemsize = torch.finfo(options.get("dtype", torch.float64)).bits // 8
        n, K, P, C = program.n_samples, program.n_columns, program.n_patterns, program.n_outputs
        return itemsize * (4 * n * P + 3 * K * P * C * 2 + 2 * n * K)

    def solve(self, program: ConvexProgram, request: SolveRequest
              ) -> tuple[ConvexSolution, WorkingSetState]:
        return solve_working_set(program, tol=request.tol, max_iter=request.max_iter,
                                 device=request.device, warm_start=request.state,
                                 verbose=request.verbose, progress=request.progress,
                                 **request.options)
