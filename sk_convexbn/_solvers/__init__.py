"""Solvers of the convex BN program, behind one protocol (:class:`Solver`), and the registry.

``get_solver(name)`` returns the solver an estimator's ``solver`` parameter names;
``choose_solver(program)`` is the ``"auto"`` rule; ``solve(program, solver, request)``
checks applicability and memory, then solves.
"""

from __future__ import annotations

from .._core._device import check_memory
from .._program import ConvexProgram, ConvexSolution
from ._admm import ADMMSolver, ADMMState, solve_admm
from ._base import SolveRequest, Solver
from ._closed_form import ClosedFormSolver, closed_form_inapplicable, solve_closed_form
from ._cvxpy import CVXPYSolver, build_cvxpy_problem, solve_cvxpy
from ._working_set import WorkingSetSolver, solve_working_set

#: The solvers by name (the values of the estimators' ``solver`` parameter).
SOLVERS: dict[str, Solver] = {
    solver.name: solver for solver in (ClosedFormSolver(), CVXPYSolver(), ADMMSolver(),
                                        WorkingSetSolver())
}

def get_solver(name: str) -> Solver:
    """The registered solver called ``name``."""
    try:
        return SOLVERS[name]
    except KeyError:
        raise ValueError(f"solver must be one of {sorted(SOLVERS)} or 'auto', got {name!r}.")


def choose_solver(program: ConvexProgram) -> Solver:
    """The ``"auto"`` rule, a function of the program only.

    The closed form where it applies (exact over all networks, instantaneous); the
    working-set solver otherwise. Measured (``benchmarks/baselines.py``): on programs
    of a few thousand cone constraints CVXPY + Clarabel is faster in wall time (0.05 s
    against 0.2 to 0.6 s), but its solution is accurate to ~1e-8 only, so hundreds
    of its blocks are round-off instead of zero (538 neurons on iris where the exact
    optimum has 3, at a higher J); from tens of thousands of constraints on, it is
    slower by one to two orders of magnitude and needs gigabytes. ADMM is never
    faster to a certified gap.
    """
    if closed_form_inapplicable(program) is None:
        return SOLVERS["closed_form"]
    return SOLVERS["working_set"]


def solve(program: ConvexProgram, solver: Solver, request: SolveRequest
          ) -> tuple[ConvexSolution, object]:
    """Solve ``program`` with ``solver`` after checking that it applies and fits in memory.

    Raises
    ------
    ValueError
        If the solver does not apply to the program.
    MemoryError
        If the solve would need more memory than the device has free.
    """
    reason = solver.inapplicable(program)
    if reason is not None:
        raise ValueError(f"solver={solver.name!r} does not apply: {reason}.")
    n, B = program.n_samples, program.n_blocks
    check_memory(
        solver.memory_bytes(program, request.options), solver.memory_device(request),
        f"solver={solver.name!r} on {n:,} samples x {B:,} blocks ({n * B:,} cone constraints)",
        "Lower n_patterns or n_components, or use solver='admm' with "
        "solver_params={'dtype': 'float32'}, or a GPU (device='cuda').",
    )
    return solver.solve(program, request)


__all__ = [
    "SOLVERS",
    "ADMMSolver",
    "ADMMState",
    "CVXPYSolver",
    "ClosedFormSolver",
    "SolveRequest",
    "Solver",
    "build_cvxpy_problem",
    "choose_solver",
    "closed_form_inapplicable",
    "get_solver",
    "solve",
    "solve_admm",
    "solve_closed_form",
    "solve_cvxpy",
    "solve_working_set",
    "WorkingSetSolver",
]
