"""The protocol every solver of the convex program follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import numpy as np
import torch

from .._program import ConvexProgram, ConvexSolution


@dataclass
class SolveRequest:
    """What the estimator asks of a solver, besides the program.

    Attributes
    ----------
    options : dict
        The solver's own options, as returned by :meth:`Solver.check_params`.
    max_iter : int
        Iteration limit of iterative solvers.
    tol : float
        Target relative duality gap of iterative solvers.
    device : torch.device
    verbose : int
    state : object or None
        What the same solver returned from an earlier solve of a related program
        (warm start); the solver decides whether it applies.
    progress : callable or None
        Called by iterative solvers as ``progress(iteration=..., duality_gap=...,
        n_active=...)`` after each outer iteration (NaN gap where it was not
        computed); its return value is ignored.
    """

    options: dict
    max_iter: int = 10_000
    tol: float = 1e-4
    device: torch.device = torch.device("cpu")
    verbose: int = 0
    state: Any = None
    progress: Callable[..., Any] | None = None


class Solver:
    """A solver of :class:`~sk_convexbn._program.ConvexProgram`.

    Subclasses set :attr:`name` and implement :meth:`solve`; they may refine the
    other methods. A solver takes validated arrays (the program) and returns
    results; it never sees an estimator.

    Attributes
    ----------
    name : str
        The value of the estimators' ``solver`` parameter that selects it.
    """

    name: ClassVar[str] = ""

    def check_params(self, params: dict | None) -> dict:
        """Validated options from the estimator's ``solver_params``.

        Raises
        ------
        ValueError
            Naming the unknown option or the bad value, and the accepted ones.
        """
        if params:
            raise ValueError(
                f"solver_params is not used by solver={self.name!r}; got {sorted(params)}."
            )
        return {}

    def inapplicable(self, program: ConvexProgram) -> str | None:
        """Why the solver cannot solve ``program`` (None when it can)."""
        return None

    def memory_bytes(self, program: ConvexProgram, options: dict) -> int:
        """Bytes the solve will allocate at its peak, beyond the program itself."""
        return 0

    def memory_device(self, request: SolveRequest) -> torch.device:
        """Where :meth:`memory_bytes` will be allocated."""
        return request.device

    def solve(self, program: ConvexProgram, request: SolveRequest
              ) -> tuple[ConvexSolution, Any]:
        """Solve ``program``; return the solution and a state for warm starts (or None)."""
        raise NotImplementedError

    def alpha_max(self, program: ConvexProgram) -> float:
        """Smallest ``alpha`` at which this solver's optimum of ``program`` has no neuron.

        The default is exact for every solver that solves the program over its
        sampled patterns: the largest KKT threshold of a block at zero (see
        :func:`sk_convexbn.alpha_max`).
        """
        from .._regularization import largest_block_threshold

        return largest_block_threshold(program)
