"""The contract every solver of the convex program follows.

A solver declares its options (:attr:`Solver.options`, validated here once for all
solvers), says whether it applies to a program and how much memory it needs, and
solves: validated arrays in (a :class:`~sk_convexbn._program.ConvexProgram` and a
:class:`SolveRequest`), a :class:`~sk_convexbn._program.ConvexSolution` with a
:class:`~sk_convexbn._program.SolveStatus` and a :class:`WarmState` out. It never
sees an estimator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

import torch

from .._core._device import check_memory
from .._program import ConvexProgram, ConvexSolution
from ._blocks import largest_block_threshold


@dataclass
class SolveRequest:
    """What the caller asks of a solver, besides the program.

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
    state : WarmState or None
        What the same solver returned from an earlier solve of a related program;
        the fit kernel passes it only where :meth:`WarmState.applies_to` says so.
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
    state: "WarmState | None" = None
    progress: Callable[..., Any] | None = None


class WarmState:
    """What a solve leaves for a later solve of a related program to start from.

    Subclasses say which solver made them (:attr:`solver`) and to which programs they
    apply (:meth:`applies_to`): typically the same rows at another ``alpha``, or
    with patterns appended.
    """

    solver: ClassVar[str] = ""

    def applies_to(self, program: ConvexProgram) -> bool:
        """Whether a solve of ``program`` can start from this state."""
        raise NotImplementedError


@dataclass(frozen=True)
class Option:
    """An option of a solver's ``solver_params``: its accepted values and what they mean.

    Parameters
    ----------
    choices : mapping
        Accepted value -> the value the solver receives (e.g. ``"float32"`` ->
        ``torch.float32``).
    """

    choices: Mapping[str, Any]

    def convert(self, solver: str, name: str, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            accepted = " or ".join(repr(choice) for choice in self.choices)
            raise ValueError(f"solver_params[{name!r}] of solver={solver!r} must be "
                             f"{accepted}, got {value!r}.")
        return self.choices[value]


#: The floating-point precision of the torch solvers.
DTYPE = Option({"float32": torch.float32, "float64": torch.float64})


class Solver:
    """A solver of :class:`~sk_convexbn._program.ConvexProgram`.

    Subclasses set :attr:`name` and :attr:`options` and implement :meth:`solve`;
    they may refine the other methods.

    Attributes
    ----------
    name : str
        The value of the estimators' ``solver`` parameter that selects it.
    options : dict of str to Option
        The keys ``solver_params`` accepts, and their values.
    forwards_options : bool
        Whether any string key of ``solver_params`` is accepted and passed through
        unchecked (to a third-party solver's own keyword arguments).
    uses_program_patterns : bool
        False for a solver that optimizes over every pattern whatever the program
        holds (the closed form).
    """

    name: ClassVar[str] = ""
    options: ClassVar[dict[str, Option]] = {}
    forwards_options: ClassVar[bool] = False
    uses_program_patterns: ClassVar[bool] = True

    def check_params(self, params: dict | None) -> dict:
        """Validated options from the estimator's ``solver_params``.

        Raises
        ------
        ValueError
            Naming the unknown option or the bad value, and the accepted ones.
        """
        params = dict(params or {})
        bad_keys = [key for key in params if not isinstance(key, str)]
        if bad_keys:
            raise ValueError(f"solver_params keys must be strings, got {bad_keys!r}.")
        if self.forwards_options:
            return params
        if params and not self.options:
            raise ValueError(
                f"solver_params is not used by solver={self.name!r}; got {sorted(params)}."
            )
        unknown = sorted(set(params) - set(self.options))
        if unknown:
            raise ValueError(f"solver_params for solver={self.name!r} accepts "
                             f"{sorted(self.options)}; got unknown {unknown}.")
        return {name: self.options[name].convert(self.name, name, value)
                for name, value in params.items()}

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
              ) -> tuple[ConvexSolution, WarmState | None]:
        """Solve ``program``; return the solution and a state for warm starts (or None)."""
        raise NotImplementedError

    def run(self, program: ConvexProgram, request: SolveRequest
            ) -> tuple[ConvexSolution, WarmState | None]:
        """:meth:`solve` after checking that the solver applies and the solve fits in memory.

        Raises
        ------
        ValueError
            If the solver does not apply to the program.
        MemoryError
            If the solve would need more memory than the device has free.
        """
        reason = self.inapplicable(program)
        if reason is not None:
            raise ValueError(f"solver={self.name!r} does not apply: {reason}.")
        n, B = program.n_samples, program.n_blocks
        check_memory(
            self.memory_bytes(program, request.options), self.memory_device(request),
            f"solver={self.name!r} on {n:,} samples x {B:,} blocks ({n * B:,} cone "
            "constraints)",
            "Lower n_patterns or n_components, or use a GPU (device='cuda').",
        )
        return self.solve(program, request)

    def alpha_max(self, program: ConvexProgram) -> float:
        """Smallest ``alpha`` at which this solver's optimum of ``program`` has no neuron.

        The default is exact for every solver that solves the program over its
        patterns: the largest optimality threshold of a block at zero
        (:func:`~sk_convexbn._solvers._blocks.largest_block_threshold`).
        """
        return largest_block_threshold(program)
