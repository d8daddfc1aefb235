"""Progress lines printed by the iterative fits (``verbose``).

One convention for every loop (working-set rounds, gradient-descent epochs): ``verbose=1`` prints the first call's line, one line every ``every`` iterations
and the last, each with the elapsed time and the loop's measure of progress (duality gap
or J); ``verbose >= 2`` prints a line at every iteration, with the loop's details.
"""

from __future__ import annotations

import time


class IterationLog:
    """Print progress lines of one loop, at the frequency ``verbose`` asks for.

    Parameters
    ----------
    name : str
        Prefix of every line, in brackets (``[working_set]``).
    verbose : int
        0: silent; 1: first, every ``every``-th and last iteration; >= 2: every
        iteration, with details.
    every : int
        Iterations between two lines at ``verbose=1``.
    unit : str, default="iteration"
        What one iteration is called in the lines (``"epoch"`` for gradient descent).

    Examples
    --------
    >>> log = IterationLog("demo", verbose=1, every=100)
    >>> log(1, "gap 1.0e-01", details="rho 1")  # doctest: +ELLIPSIS
    [demo] iteration      1  gap 1.0e-01  ...s
    >>> log(2, "gap 5.0e-02")  # not printed at verbose=1
    """

    def __init__(self, name: str, verbose: int, every: int, unit: str = "iteration") -> None:
        self.name, self.unit = name, unit
        self.verbose = int(verbose)
        self.every = max(1, int(every))
        self.start = time.perf_counter()
        self.first = True

    def __call__(self, iteration: int, summary: str, *, details: str = "",
                 last: bool = False) -> None:
        """Print the line of ``iteration`` if ``verbose`` asks for it.

        ``summary`` is always shown, ``details`` only at ``verbose >= 2``; ``last``
        marks the final iteration (always printed when ``verbose >= 1``).
        """
        if self.verbose <= 0:
            return
        first, self.first = self.first, False
        if self.verbose == 1 and not (first or last or iteration % self.every == 0):
            return
        text = f"{summary}  {details}" if details and self.verbose >= 2 else summary
        print(f"[{self.name}] {self.unit} {iteration:6d}  {text}  "
              f"{time.perf_counter() - self.start:.2f}s")
