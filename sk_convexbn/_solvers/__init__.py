"""Solvers of the convex BN program, behind one contract (:class:`Solver`), and the fit kernel.

``get_solver(name)`` returns the solver an estimator's ``solver`` parameter names;
``choose_solver(program)`` is the ``"auto"`` rule. :func:`fit_program` is the whole
fit of a program (solve, pattern generation, the network and its objective), and
:func:`fit_path` the same along a grid of ``alpha`` with warm starts; the estimators
build the program, call them and store what they return.
"""

from __future__ import annotations

from .._program import ConvexProgram
from ._base import DTYPE, Option, SolveRequest, Solver, WarmState
from ._blocks import block_thresholds, largest_block_threshold
from ._closed_form import ClosedFormSolver, closed_form_inapplicable, solve_closed_form
from ._cvxpy import CVXPYSolver, build_cvxpy_problem, solve_cvxpy
from ._fit import ProgramFit, fit_path, fit_program
from ._working_set import WorkingSetSolver, WorkingSetState, solve_working_set

#: The solvers by name (the values of the estimators' ``solver`` parameter). Each
#: earns its place (``benchmarks/baselines.py``): the closed form is exact and
#: instantaneous where it applies; the working set is the fastest to a certified gap
#: everywhere else; CVXPY + Clarabel is the independent reference the tests compare
#: with.
SOLVERS: dict[str, Solver] = {
    solver.name: solver for solver in (ClosedFormSolver(), CVXPYSolver(), WorkingSetSolver())
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
    slower by one to two orders of magnitude and needs gigabytes.
    """
    if closed_form_inapplicable(program) is None:
        return SOLVERS["closed_form"]
    return SOLVERS["working_set"]


__all__ = [
    "DTYPE",
    "SOLVERS",
    "CVXPYSolver",
    "ClosedFormSolver",
    "Option",
    "ProgramFit",
    "SolveRequest",
    "Solver",
    "WarmState",
    "WorkingSetSolver",
    "WorkingSetState",
    "block_thresholds",
    "build_cvxpy_problem",
    "choose_solver",
    "closed_form_inapplicable",
    "fit_path",
    "fit_program",
    "get_solver",
    "largest_block_threshold",
    "solve_closed_form",
    "solve_cvxpy",
    "solve_working_set",
]
