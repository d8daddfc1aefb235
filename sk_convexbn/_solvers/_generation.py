"""Pattern generation from the dual: add the neurons that would lower J, and solve again.

At a solution of the program over its patterns, the gradient of the data term
``G = c grad l(F)`` prices every possible neuron: a block with gate ``s`` (pattern
``1[Z s >= 0]``), sign ``sigma`` and output ``c`` can lower J exactly when
``||Pi_K(-grad_b)|| > alpha``, and ``sigma (-G_c)^T relu(Z s)`` for a unit ``s`` is a
lower bound on that violation. A local search over unit gates (projected gradient
ascent from many starts, :func:`~sk_convexbn._core._patterns.search_gates`) finds
neurons with a large bound; their patterns join the program, which is solved again
from the previous solution (a feasible point of the larger program, so J never
increases). This is column generation over the infinitely many neurons of the
non-convex network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from .._core._patterns import search_gates
from .._program import ConvexProgram, ConvexSolution
from ._base import SolveRequest, Solver, WarmState
from ._blocks import BlockView, centred_gradient

#: Starts of the local search per (output, sign): random gates and the active blocks.
RANDOM_STARTS = 32
SEARCH_STEPS = 40


@dataclass
class GenerationReport:
    """Rounds run, patterns added, and the largest violation the last search found.

    ``violation`` is ``max(0, best / alpha - 1)`` where ``best`` is the largest lower
    bound ``sigma (-G_c)^T relu(Z s)`` the search reached at the returned solution:
    0 means that no neuron the search could reach would lower J.
    """

    rounds: int = 0
    added: int = 0
    violation: float = 0.0


def _search(program: ConvexProgram, solution: ConvexSolution, rng: np.random.RandomState
            ) -> tuple[np.ndarray, np.ndarray]:
    """Gates found by the local search and their violation bounds (relative to alpha)."""
    view = BlockView(program, torch.device("cpu"), torch.float64)
    norms = np.linalg.norm(solution.blocks, axis=0)
    ids = torch.as_tensor(np.flatnonzero(norms > 0))
    F = view.outputs(ids, torch.as_tensor(solution.blocks[:, ids.numpy()])) + torch.as_tensor(
        solution.intercept)
    # centred: at the optimal intercept the columns of G sum to zero
    G = centred_gradient(view, F).numpy()
    Z = program.Z
    _, sign, output = program.block_layout()
    directions, starts = [], []
    for c in range(program.n_outputs):
        for s in (1.0, -1.0):
            mine = (output == c) & (sign == s) & (norms > 0)
            seeds = np.column_stack([rng.standard_normal((Z.shape[1], RANDOM_STARTS)),
                                     solution.blocks[:, mine]])
            starts.append(seeds)
            directions.append(np.repeat((-s * G[:, c])[:, None], seeds.shape[1], axis=1))
    gates, values = search_gates(Z, np.column_stack(directions), np.column_stack(starts),
                                 n_steps=SEARCH_STEPS)
    return gates, values / program.alpha - 1.0


def solve_with_generation(program: ConvexProgram, solver: Solver, request: SolveRequest, *,
                          rounds: int, random_state: np.random.RandomState,
                          tol: float = 1e-3
                          ) -> tuple[ConvexProgram, ConvexSolution, WarmState | None,
                                     GenerationReport]:
    """Solve, then up to ``rounds`` times add the violating patterns found and solve again.

    A pattern is added when its neuron's bound exceeds ``alpha (1 + tol)``. Returns
    the final program (with the added patterns), its solution, the solver's state
    and a :class:`GenerationReport`.
    """
    solution, state = solver.run(program, request)
    report = GenerationReport()
    for _ in range(rounds):
        gates, excess = _search(program, solution, random_state)
        report.violation = float(max(excess.max(initial=0.0), 0.0))
        violating = excess > tol
        if not violating.any():
            break
        larger = program.with_gates(gates[:, violating])
        if larger.n_patterns == program.n_patterns:
            break
        report.rounds += 1
        report.added += larger.n_patterns - program.n_patterns
        program = larger
        solution, state = solver.run(program, replace(request, state=state))
    else:
        if rounds:
            gates, excess = _search(program, solution, random_state)
            report.violation = float(max(excess.max(initial=0.0), 0.0))
    return program, solution, state, report
