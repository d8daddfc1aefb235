"""Exact reference solver: the convex program written in CVXPY, solved by Clarabel.

This is the only module that uses cvxpy, and it imports it only when a program is
built (:func:`_cvxpy`): ``import sk_convexbn`` does not load it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from .._core._losses import LogisticLoss, Loss, SoftmaxLoss, SquaredLoss
from .._core._warnings import warn
from .._program import ConvexProgram, ConvexSolution, SolveStatus
from ._base import SolveRequest, Solver

if TYPE_CHECKING:
    import cvxpy as cp

#: Statuses accepted as a solution (cvxpy's OPTIMAL and OPTIMAL_INACCURATE).
_ACCEPTED = ("optimal", "optimal_inaccurate")
#: Settings of the fallback solver (SCS, first-order conic): tight, since it is
#: used as a reference.
_SCS_SETTINGS = {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000}


#: Measured: about 300 bytes per nonzero of the n x (K B) constraint operator.
BYTES_PER_CONSTRAINT_NONZERO = 300


class CVXPYSolver(Solver):
    """The exact reference: the program written in CVXPY, solved by Clarabel.

    ``solver_params`` are keyword arguments of :meth:`cvxpy.Problem.solve`.
    """

    name = "cvxpy"
    forwards_options = True

    def memory_bytes(self, program: ConvexProgram, options: dict) -> int:
        return (BYTES_PER_CONSTRAINT_NONZERO * program.n_samples * program.n_columns
                * program.n_blocks)

    def memory_device(self, request: SolveRequest) -> torch.device:
        return torch.device("cpu")

    def solve(self, program: ConvexProgram, request: SolveRequest):
        return solve_cvxpy(program, solver_params=request.options, verbose=request.verbose), None


def _cvxpy():
    """The cvxpy module, imported on first use (it takes about a second to load)."""
    import cvxpy

    return cvxpy


def _squared_rows(F: cp.Expression, Y: np.ndarray) -> cp.Expression:
    cp = _cvxpy()
    return 0.5 * cp.sum(cp.square(F - Y), axis=1)


def _logistic_rows(F: cp.Expression, Y: np.ndarray) -> cp.Expression:
    cp = _cvxpy()
    return cp.logistic(F[:, 0]) - cp.multiply(Y[:, 0], F[:, 0])


def _softmax_rows(F: cp.Expression, Y: np.ndarray) -> cp.Expression:
    cp = _cvxpy()
    return cp.log_sum_exp(F, axis=1) - cp.sum(cp.multiply(Y, F), axis=1)


#: The CVXPY expression of each loss of :mod:`sk_convexbn._core._losses`.
_LOSS_ROWS = {SquaredLoss: _squared_rows, LogisticLoss: _logistic_rows,
              SoftmaxLoss: _softmax_rows}


def cvxpy_loss_rows(loss: Loss, F: cp.Expression, Y: np.ndarray) -> cp.Expression:
    """``l(F_i, Y_i)`` of every row as a CVXPY expression, shape (n_samples,).

    Parameters
    ----------
    loss : Loss
        One of the losses of :func:`~sk_convexbn._core._losses.make_loss`.
    F : cvxpy.Expression of shape (n_samples, n_outputs)
        The outputs of the network.
    Y : ndarray of shape (n_samples, n_outputs)
        The encoded targets.

    Returns
    -------
    cvxpy.Expression of shape (n_samples,)
        The same values as ``loss.row_values`` (in torch), written with CVXPY atoms.

    Raises
    ------
    TypeError
        If the loss has no CVXPY expression.
    """
    rows = _LOSS_ROWS.get(type(loss))
    if rows is None:
        raise TypeError(f"the cvxpy solver has no expression of the loss {type(loss).__name__}.")
    return rows(F, Y)


def build_cvxpy_problem(program: ConvexProgram) -> tuple[cp.Problem, cp.Variable, cp.Variable | None]:
    """The program of :class:`~sk_convexbn._program.ConvexProgram` as a ``cvxpy.Problem``.

    Parameters
    ----------
    program : ConvexProgram

    Returns
    -------
    problem : cvxpy.Problem
        Its objective is ``N`` times the program's (``N = sum(sample_weight)``).
    blocks : cvxpy.Variable of shape (n_columns, n_blocks)
    intercept : cvxpy.Variable of shape (n_outputs,) or None
    """
    cp = _cvxpy()
    Z, D = program.Z, program.patterns.astype(np.float64)
    pattern, sign, output = program.block_layout()
    n, C, B = program.n_samples, program.n_outputs, program.n_blocks

    U = cp.Variable((program.n_columns, B), name="blocks")
    ZU = Z @ U
    cone_signs = 2.0 * D[:, pattern] - 1.0
    to_outputs = np.zeros((B, C))
    to_outputs[np.arange(B), output] = sign
    F = cp.multiply(D[:, pattern], ZU) @ to_outputs
    intercept = None
    if program.fit_intercept:
        intercept = cp.Variable(C, name="intercept")
        F = F + np.ones((n, 1)) @ cp.reshape(intercept, (1, C), order="C")
    # The sum form N * J (weights w rather than w / N) is better scaled for the
    # interior-point solver: with exponential cones the mean form can stall.
    data = program.sample_weight @ cvxpy_loss_rows(program.loss, F, program.targets)
    penalty = program.total_weight * program.alpha * cp.sum(cp.norm(U, 2, axis=0))
    problem = cp.Problem(cp.Minimize(data + penalty), [cp.multiply(cone_signs, ZU) >= 0])
    return problem, U, intercept


def solve_cvxpy(
    program: ConvexProgram, *, solver_params: dict | None = None, verbose: int = 0
) -> ConvexSolution:
    """Solve the program exactly with CVXPY (Clarabel unless ``solver_params`` says otherwise).

    Parameters
    ----------
    program : ConvexProgram
    solver_params : dict or None
        Keyword arguments of :meth:`cvxpy.Problem.solve`, e.g. ``{"solver": "SCS"}``
        or Clarabel settings such as ``{"tol_gap_rel": 1e-10}``.
    verbose : int
        ``>= 1`` prints the problem size and outcome, ``>= 2`` also the solver log.

    Returns
    -------
    ConvexSolution

    Raises
    ------
    RuntimeError
        If the solver fails or reports a status other than (inaccurately) optimal.
        The program is always feasible (``u = 0``) and bounded, so this is a
        numerical failure.

    Warns
    -----
    ConvergenceWarning
        If the solver reports ``optimal_inaccurate``, or if Clarabel failed and SCS
        (tried next when ``solver_params`` names no solver) solved the program.
    """
    cp = _cvxpy()
    start = time.perf_counter()
    problem, U, intercept = build_cvxpy_problem(program)
    user_params = dict(solver_params or {})
    # Without an explicit solver: Clarabel, then SCS if Clarabel fails (it can stall
    # on the exponential cones of the log-losses). An explicit solver is never replaced.
    attempts = [user_params] if "solver" in user_params else [
        {"solver": cp.CLARABEL, **user_params}, {"solver": cp.SCS, **_SCS_SETTINGS}]
    failures = []
    for params in attempts:
        params = {**params, "verbose": params.get("verbose", verbose >= 2)}
        try:
            problem.solve(**params)
        except cp.error.SolverError as exc:
            failures.append(f"{params['solver']}: {exc}")
            continue
        if problem.status in _ACCEPTED:
            break
        failures.append(f"{params['solver']}: status {problem.status!r}")
    else:
        raise RuntimeError(
            "the conic solver failed on the convex BN program, which is always feasible "
            f"and bounded ({'; '.join(failures)}). Try standardizing X and y, a larger "
            "alpha, fewer patterns, another solver through solver_params={'solver': ...}, "
            "or solver='working_set'."
        )
    if failures:
        warn(
            f"{'; '.join(failures)}; solved with {params['solver']} instead.",
            ConvergenceWarning,
        )
    if problem.status == cp.OPTIMAL_INACCURATE:
        warn(
            f"the conic solver {params['solver']} reached only an inaccurate "
            "optimum; tighten its settings through solver_params or use solver='working_set'.",
            ConvergenceWarning,
        )
    stats = problem.solver_stats
    n_iter = int(stats.num_iters) if stats is not None and stats.num_iters is not None else 0
    if verbose >= 1:
        print(
            f"[cvxpy] {problem.size_metrics.num_scalar_variables} variables, "
            f"{problem.size_metrics.num_scalar_leq_constr} inequalities: "
            f"status={problem.status}, objective={problem.value / program.total_weight:.8g}, "
            f"{n_iter} iterations, {time.perf_counter() - start:.2f}s"
        )
    _, sign, output = program.block_layout()
    return ConvexSolution(
        blocks=np.asarray(U.value, dtype=np.float64),
        signs=sign,
        outputs=output,
        intercept=(np.zeros(program.n_outputs) if intercept is None
                   else np.asarray(intercept.value, dtype=np.float64).ravel()),
        objective=float(problem.value) / program.total_weight,
        n_iter=n_iter,
        status=SolveStatus.INACCURATE if problem.status == cp.OPTIMAL_INACCURATE
        else SolveStatus.OPTIMAL,
    )
