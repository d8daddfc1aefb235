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

#: Up to this many cone constraints (distinct rows x blocks), "auto" uses CVXPY;
#: above, the first-order ADMM solver.
CVXPY_MAX_CONSTRAINTS = 50_000


def get_solver(name: str) -> Solver:
    """The registered solver called ``name``."""
    try:
        return SOLVERS[name]
    except KeyError:
        raise ValueError(f"solver must be one of {sorted(SOLVERS)} or 'auto', got {name!r}.")


def choose_solver(program: ConvexProgram) -> Solver:
    """The ``"auto"`` rule, a function of the program only.

    The closed form where it applies; CVXPY + Clarabel while the program has at most
    ``CVXPY_MAX_CONSTRAINTS`` cone constraints (``n_samples * n_blocks``, distinct rows
    and distinct patterns); ADMM above.
    """
    if closed_form_inapplicable(program) is None:
        return SOLVERS["closed_form"]
    if program.n_samples * program.n_blocks <= CVXPY_MAX_CONSTRAINTS:
        return SOLVERS["cvxpy"]
    return SOLVERS["admm"]


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
