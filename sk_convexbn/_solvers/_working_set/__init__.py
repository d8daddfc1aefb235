"""The working-set solver: exact, certified over the whole program, fast when few blocks are active.

Modules: ``_newton`` (the program restricted to the working set, by Newton's
method on the faces of the pattern cones), ``_solver`` (the outer loop and the solver
object). The program's blocks as tensors, optimality at zero and the duality
gap are shared with the other solvers (:mod:`sk_convexbn._solvers._blocks`).
"""

from ._solver import WorkingSetSolver, WorkingSetState, solve_working_set

__all__ = ["WorkingSetSolver", "WorkingSetState", "solve_working_set"]
