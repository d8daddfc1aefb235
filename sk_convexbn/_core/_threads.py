"""How many threads torch and BLAS use inside ``fit`` and ``predict``.

The solvers' products on data of a few thousand rows are too small for threads to
pay: on an idle machine one thread is as fast as several, and on a machine whose
cores are busy with other work, OpenMP threads waiting for each other make a fit
many times slower (measured: 28.6 s against 5.6 s for the same fit beside one other
busy process). So below :data:`SINGLE_THREAD_BELOW` entries of ``X``, ``fit`` and
``predict`` run single-threaded and restore the caller's settings afterwards; above
it, they use whatever the caller set (``torch.set_num_threads``,
``OMP_NUM_THREADS``, :func:`threadpoolctl.threadpool_limits`), never more.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np
import torch
from threadpoolctl import threadpool_limits

#: ``n_samples * n_features`` of ``X`` from which threads are used (e.g. 20,000
#: rows of 100 features).
SINGLE_THREAD_BELOW = 2_000_000


@contextmanager
def thread_budget(n_entries: int) -> Iterator[None]:
    """One thread for torch and the BLAS libraries while the block runs, for small data.

    Parameters
    ----------
    n_entries : int
        Size of the data, ``n_samples * n_features``.
    """
    if n_entries >= SINGLE_THREAD_BELOW:
        yield
        return
    previous = torch.get_num_threads()
    with threadpool_limits(limits=1):
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(previous)


def _n_entries(X) -> int:
    """``X``'s number of entries, before validation (0 if it has no array form)."""
    shape = getattr(X, "shape", None)
    if shape is None:
        try:
            shape = np.asarray(X).shape
        except Exception:  # validation will say what is wrong with X
            return 0
    return int(np.prod(shape))


def sized_threads(method: Callable) -> Callable:
    """Run an estimator method ``method(self, X, ...)`` under :func:`thread_budget` of ``X``."""

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        with thread_budget(_n_entries(X)):
            return method(self, X, *args, **kwargs)

    return wrapper
