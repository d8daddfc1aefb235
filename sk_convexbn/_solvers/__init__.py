"""Solvers of the convex BN program: each takes a ConvexProgram, returns a ConvexSolution."""

from ._admm import ADMMState, solve_admm
from ._closed_form import closed_form_applicable, solve_closed_form
from ._cvxpy import build_cvxpy_problem, solve_cvxpy

__all__ = [
    "ADMMState",
    "solve_admm",
    "build_cvxpy_problem",
    "closed_form_applicable",
    "solve_closed_form",
    "solve_cvxpy",
]
