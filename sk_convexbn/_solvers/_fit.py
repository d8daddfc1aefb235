"""The fit kernel: a program in, a certified network out; and the same along a path of ``alpha``.

In the manner of scikit-learn's ``enet_path``: :func:`fit_program` is a pure
function of validated arrays (a :class:`~sk_convexbn._program.ConvexProgram`, a
:class:`~sk_convexbn._solvers._base.Solver` and a
:class:`~sk_convexbn._solvers._base.SolveRequest`) and returns everything an
estimator stores (:class:`ProgramFit`); :func:`fit_path` walks a grid of ``alpha``
from the largest, each solve warm-started from the previous one. Neither sees an
estimator or changes its arguments.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Iterable, Iterator

from sklearn.utils import check_random_state

from .._core._network import BNNetwork
from .._program import ConvexProgram, ConvexSolution, network_from_solution
from ._base import SolveRequest, Solver, WarmState
from ._generation import solve_with_generation


@dataclass(frozen=True)
class ProgramFit:
    """Everything a fit of a program gives.

    Attributes
    ----------
    program : ConvexProgram
        The program solved (with the patterns that pattern generation added).
    solution : ConvexSolution
    network : BNNetwork
        The solution's nonzero blocks as BN neurons.
    objective : float
        J recomputed at ``network`` on the program's training rows.
    state : WarmState or None
        Where a solve of a related program (another ``alpha``, more patterns) can start.
    solver : str
        The solver's name.
    n_patterns : int
        Distinct patterns the solver optimized over (0 for a solver that uses every
        pattern, the closed form).
    pattern_violation : float or None
        With pattern generation, what its last search found (see
        :class:`~sk_convexbn._solvers._generation.GenerationReport`).
    elapsed : float
        Seconds the fit took.
    """

    program: ConvexProgram
    solution: ConvexSolution
    network: BNNetwork
    objective: float
    state: WarmState | None
    solver: str
    n_patterns: int
    pattern_violation: float | None = None
    elapsed: float = 0.0

    @property
    def duality_gap(self) -> float:
        """The solver's certificate, NaN where it gives none (CVXPY)."""
        certificate = self.solution.certificate
        return math.nan if certificate is None else float(certificate)


def fit_program(program: ConvexProgram, solver: Solver, request: SolveRequest, *,
                pattern_search: int = 0, random_state=None, label: str = "fit"
                ) -> ProgramFit:
    """Solve ``program``, optionally grow its patterns, and build the network.

    Parameters
    ----------
    program : ConvexProgram
    solver : Solver
    request : SolveRequest
        Its ``state`` is used only if it is the same solver's and applies to
        ``program`` (:meth:`WarmState.applies_to`); ``request`` is not modified.
    pattern_search : int
        Rounds of pattern generation from the dual after the first solve.
    random_state : int, RandomState instance or None
        Seeds the pattern search's random starts.
    label : str
        Prefix of the lines printed with ``request.verbose``.

    Returns
    -------
    ProgramFit
    """
    start = time.perf_counter()
    state = request.state
    if state is not None and not (state.solver == solver.name and state.applies_to(program)):
        request = replace(request, state=None)
    if request.verbose:
        whitening = program.whitening
        print(f"[{label}] n_samples={program.n_samples}, whitened directions="
              f"{whitening.n_directions} (rank {whitening.rank}), patterns="
              f"{program.n_patterns}, outputs={program.n_outputs}, alpha={program.alpha:.4g}, "
              f"solver={solver.name}")
    violation = None
    if pattern_search:
        program, solution, state, report = solve_with_generation(
            program, solver, request, rounds=pattern_search,
            random_state=check_random_state(random_state))
        violation = report.violation
    else:
        solution, state = solver.run(program, request)
    network = network_from_solution(solution, program)
    objective = network.objective(program.rows, program.targets, program.sample_weight,
                                  program.loss, program.alpha, program.penalty)
    elapsed = time.perf_counter() - start
    if request.verbose:
        print(f"[{label}] objective={objective:.8g} with {network.n_neurons} neurons in "
              f"{elapsed:.2f}s")
    return ProgramFit(
        program=program, solution=solution, network=network, objective=objective,
        state=state, solver=solver.name,
        n_patterns=program.n_patterns if solver.uses_program_patterns else 0,
        pattern_violation=violation, elapsed=elapsed,
    )


def fit_path(program: ConvexProgram, solver: Solver, request: SolveRequest,
             alphas: Iterable[float], *, pattern_search: int = 0, random_state=None,
             label: str = "fit") -> Iterator[ProgramFit]:
    """Fit ``program`` at each ``alpha`` in turn, each solve warm-started from the last.

    Parameters
    ----------
    program, solver, request, pattern_search, random_state, label
        As in :func:`fit_program` (``program.alpha`` is replaced by each ``alpha``).
    alphas : iterable of float
        Best walked from the largest down: the path then starts at the empty
        network and each solution is close to the next.

    Yields
    ------
    ProgramFit
        One per ``alpha``, in the order given. The patterns that pattern generation
        adds at one ``alpha`` stay in the program for the next.
    """
    for alpha in alphas:
        fit = fit_program(replace(program, alpha=float(alpha)), solver, request,
                          pattern_search=pattern_search, random_state=random_state,
                          label=label)
        program, request = fit.program, replace(request, state=fit.state)
        yield fit


__all__ = ["ProgramFit", "fit_path", "fit_program"]
