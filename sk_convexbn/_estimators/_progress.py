"""Progress of a fit, reported to scikit-learn callbacks where scikit-learn has them.

scikit-learn 1.9 added :mod:`sklearn.callback`: an estimator that inherits
``CallbackSupportMixin`` accepts ``est.set_callbacks(ProgressBar())`` and reports
its fit as a tree of tasks. Every estimator of this library does, where the
installed scikit-learn has the module; with an older one the mixin is empty, the
estimators work as before and ``verbose`` is the way to watch a fit.

The tasks reported:

* convex estimators: the fit, one leaf per round of the working-set solver, with
  ``metadata={"iteration", "duality_gap", "n_active"}``;
* gradient-descent estimators: the fit, one leaf per epoch, with
  ``metadata={"iteration", "objective"}``;
* CV estimators: the fit, one task per (fold, spectral power) path, one leaf per
  grid point with ``metadata={"alpha", "score"}``, and the refit.

A callback's return value ("stop") is not used: fits stop on their own criteria.
"""

from __future__ import annotations

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callbacks; verbose still reports progress

    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stand-in for scikit-learn's mixin where scikit-learn has no callbacks."""


def callbacks_supported(estimator) -> bool:
    """Whether ``estimator`` can report to scikit-learn callbacks."""
    return hasattr(estimator, "_init_callback_context")


class FitProgress:
    """The callback context of one task of a fit, and the leaves it reports.

    Parameters
    ----------
    estimator : estimator
        The estimator whose fit this is.
    context : sklearn.callback.CallbackContext or None
        None where callbacks are not supported: every method is then a no-op.
    """

    def __init__(self, estimator, context=None):
        self.estimator = estimator
        self.context = context

    @classmethod
    def start(cls, estimator, X=None, y=None, sample_weight=None, *, max_subtasks=None
              ) -> "FitProgress":
        """Open the root task of ``estimator``'s fit (call once, at the start of ``fit``).

        ``max_subtasks``: how many subtasks the fit will have (None: not known).
        """
        if not callbacks_supported(estimator):
            return cls(estimator)
        context = estimator._init_callback_context(max_subtasks=max_subtasks)
        context.call_on_fit_task_begin(estimator=estimator, X=X, y=y,
                                       metadata={"sample_weight": sample_weight})
        return cls(estimator, context)

    def subtask(self, name: str, max_subtasks=None) -> "FitProgress":
        """Open a subtask (e.g. one fold's path) and report its beginning."""
        if self.context is None:
            return self
        context = self.context.subcontext(task_name=name, max_subtasks=max_subtasks)
        context.call_on_fit_task_begin(estimator=self.estimator)
        return FitProgress(self.estimator, context)

    def step(self, name: str, **metadata) -> None:
        """Report one finished leaf task (an iteration, an epoch, a grid point)."""
        if self.context is None:
            return
        leaf = self.context.subcontext(task_name=name)
        leaf.call_on_fit_task_begin(estimator=self.estimator)
        leaf.call_on_fit_task_end(estimator=self.estimator, metadata=metadata)

    def end(self, **metadata) -> None:
        """Report the end of this task."""
        if self.context is not None:
            self.context.call_on_fit_task_end(estimator=self.estimator,
                                              metadata=metadata or None)

    def reporter(self, name: str):
        """A function ``report(**metadata)`` for a solver's loop, or None without callbacks."""
        if self.context is None:
            return None
        return lambda **metadata: self.step(name, **metadata)
