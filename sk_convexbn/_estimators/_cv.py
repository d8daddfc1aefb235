"""Convex estimators that choose ``alpha`` (and ``spectral_power``) by cross-validation.

In the manner of :class:`~sklearn.linear_model.LassoCV`: a grid of ``alpha`` from
``alpha_max`` (the smallest value with an empty network) down, one path per fold
(and per ``spectral_power``), each solve warm-started from the previous ``alpha``
of its path, then a refit on all the data at the best grid point.
"""

from __future__ import annotations

import inspect
import time
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import _fit_context, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval

from ._base import (
    check_positive_sample_weight,
    clear_fitted_state,
    docstring_entries,
    unfitted_on_failure,
)
from .._core._threads import thread_budget
from .._solvers import fit_path
from ._convex import ConvexBNClassifier, ConvexBNRegressor
from ._progress import FitProgress

#: Parameters of the plain estimators that the CV estimators do not have: the path
#: chooses ``alpha`` and is always warm-started; refits start cold.
_NOT_CV = ("alpha", "warm_start")


def _cv_constraints(plain) -> dict:
    constraints = {k: v for k, v in plain._parameter_constraints.items() if k not in _NOT_CV}
    constraints.update({
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "spectral_power": [Interval(Real, 0, None, closed="left"), "array-like"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "n_jobs": [Integral, None],
        "refit": ["boolean"],
    })
    return constraints


def _fold_path(template, X, y, sample_weight, train, test, alphas, scorer, progress, label):
    """Scores on ``test`` of the fits on ``train`` along ``alphas`` (largest first),
    each solve warm-started from the previous one.

    ``template`` (a plain estimator, private to this path) validates the fold and
    builds its program; each fit of the path is scored as a new estimator. With
    ``verbose >= 1`` a line per grid point, prefixed by ``label``; the solver's own
    lines from ``verbose >= 2``.
    """
    # the path may run in a joblib worker, outside fit's own thread budget
    with thread_budget(len(train) * X.shape[1]):
        return _scored_path(template, X, y, sample_weight, train, test, alphas, scorer,
                            progress, label)


def _scored_path(template, X, y, sample_weight, train, test, alphas, scorer, progress, label):
    weights = None if sample_weight is None else sample_weight[train]
    # built at the path's smallest alpha (what a GD seed run trains at); each
    # grid point solves it at its own alpha
    program, solver, request, _ = template._prepare(X[train], y[train], weights,
                                                    alpha=alphas[-1])
    request.verbose = max(0, template.verbose - 1)
    scores = []
    for k, fit in enumerate(fit_path(program, solver, request, alphas,
                                     pattern_search=template.pattern_search,
                                     random_state=template.random_state, label=label)):
        start = time.perf_counter()
        scores.append(scorer(template._fitted_copy(fit), X[test], y[test]))
        progress.step("alpha", alpha=fit.program.alpha, score=scores[-1])
        if template.verbose:
            print(f"[{label}] alpha {k + 1}/{len(alphas)} = {fit.program.alpha:.4g}: score "
                  f"{scores[-1]:.4g}, {fit.network.n_neurons} neurons, certificate "
                  f"{fit.duality_gap:.1e}, {fit.elapsed + time.perf_counter() - start:.2f}s")
    progress.end()
    return scores


class _ConvexBNCVMixin:
    """The cross-validated path; mixed in before a plain convex estimator class."""

    _plain: type  # the plain estimator whose parameters (but alpha) these are

    def _plain_estimator(self):
        names = [k for k in self._plain._get_param_names() if k not in _NOT_CV]
        return self._plain(**{k: getattr(self, k) for k in names})

    def _grid(self, power, X, y, sample_weight) -> np.ndarray:
        """The ``alpha`` values of the paths at ``spectral_power=power``, largest first."""
        if not isinstance(self.alphas, Integral):
            alphas = np.asarray(self.alphas, dtype=np.float64).ravel()
            if alphas.size == 0 or not np.all(alphas > 0) or not np.all(np.isfinite(alphas)):
                raise ValueError("alphas must be a positive int (the number of grid "
                                 "points) or a non-empty array of positive alpha values; "
                                 f"got {self.alphas!r}.")
            return np.sort(np.unique(alphas))[::-1]
        # the top of the grid by the alpha_max rule: the sampled patterns and a fitted
        # init's, not a GD seed run's, which has no alpha to train at yet
        if self.n_patterns == 0 and (self.init is None or isinstance(self.init, str)):
            # patterns only from a seed or a search (an explicit grid works) or none at all
            found = self.pattern_search or self._plain_estimator()._resolved_init(X) == "gd"
            raise ValueError(
                "with n_patterns=0 the grid has no top: alpha_max covers the sampled "
                "patterns and a fitted init's only. "
                + ("Pass the grid as alphas=[...]" if found
                   else "The program has no activation pattern")
                + ", or use n_patterns >= 1 or init= a fitted network.")
        top = self._plain_estimator().set_params(spectral_power=power)
        largest = top._alpha_max(X, y, sample_weight)
        if not largest > 0:  # targets constant: every alpha gives the empty network
            largest = 1.0
        return np.geomspace(largest, largest * self.eps, int(self.alphas))

    def _fit_cv(self, X, y, sample_weight):
        plain = self._plain_estimator()
        # validation of the whole data (n_features_in_, classes_, weights) on self
        X_valid, _, _, _ = self._validate_fit_data(X, y, sample_weight)
        # the user's weights; each fold's fit applies class_weight itself
        weights = check_positive_sample_weight(sample_weight, X_valid)
        y = np.asarray(y)
        powers = np.atleast_1d(np.asarray(self.spectral_power, dtype=np.float64))
        if powers.ndim != 1 or powers.size == 0 or np.any(powers < 0):
            raise ValueError("spectral_power must be a nonnegative float or a non-empty list "
                             f"of them; got {self.spectral_power!r}.")
        grids = [self._grid(float(p), X_valid, y, weights) for p in powers]
        # "auto" decided once, on all the data: the folds (smaller) and the refit
        # fit the same kind of model
        init = plain._resolved_init(X_valid)
        splits = list(check_cv(self.cv, y, classifier=is_classifier(self)).split(X_valid, y))
        scorer = check_scoring(plain, scoring=self.scoring)
        progress = FitProgress.start(self, X_valid, y, sample_weight,
                                     max_subtasks=len(powers) * len(splits) + int(self.refit))
        tasks = [(i, j) for i in range(len(powers)) for j in range(len(splits))]
        paths = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_path)(
                # not clone(): it would replace a fitted init by an unfitted copy
                self._plain_estimator().set_params(spectral_power=float(powers[i]),
                                                   init=init),
                X_valid, y, weights,
                *splits[j], grids[i], scorer,
                progress.subtask(f"path spectral_power={powers[i]:g} fold {j}",
                                 max_subtasks=len(grids[i])),
                f"{type(self).__name__} fold {j + 1}/{len(splits)}"
                + ("" if len(powers) == 1 else f" spectral_power={powers[i]:g}"))
            for i, j in tasks
        )
        scores = np.empty((len(powers), len(grids[0]), len(splits)))
        for (i, j), path in zip(tasks, paths):
            scores[i, :, j] = path
        mean = scores.mean(axis=2)
        best_power, best_alpha = np.unravel_index(np.argmax(mean), mean.shape)
        self.alpha_ = float(grids[best_power][best_alpha])
        self.spectral_power_ = float(powers[best_power])
        self.best_score_ = float(mean[best_power, best_alpha])
        single = np.ndim(self.spectral_power) == 0
        self.alphas_ = grids[0] if single else np.stack(grids)
        self.scores_ = scores[0] if single else scores
        if self.verbose:
            print(f"[{type(self).__name__}] chose alpha_={self.alpha_:.4g}"
                  + ("" if single else f", spectral_power_={self.spectral_power_:g}")
                  + f": mean score {self.best_score_:.4g} over {len(splits)} folds"
                  + ("; refit on all the data" if self.refit else ""))
        if self.refit:
            self._refit(X_valid, y, weights, init)
            progress.step("refit", alpha=self.alpha_, spectral_power=self.spectral_power_,
                          objective=self.objective_, duality_gap=self.duality_gap_)
        progress.end(alpha=self.alpha_, spectral_power=self.spectral_power_,
                     score=self.best_score_)
        return self

    def _refit(self, X, y, sample_weight, init):
        """A plain fit at the chosen grid point, whose fitted attributes become ours."""
        refit = self._plain_estimator().set_params(alpha=self.alpha_, init=init,
                                                   spectral_power=self.spectral_power_)
        refit._fit_convex(X, y, sample_weight, label=f"{type(self).__name__} refit")
        for name, value in vars(refit).items():
            if name.endswith("_") and not name.startswith("__"):
                setattr(self, name, value)
        return self


def _shares_docs(cls):
    """Document what a CV estimator shares with its plain estimator in the plain
    estimator's words: its Parameters section lists, in the order of the signature,
    its own entries and, for the other parameters, the plain ones; its Attributes
    section, its own entries and then the plain estimator's others (those of the
    refitted network)."""
    plain = cls._plain
    if not cls.__doc__ or not plain.__doc__:  # docstrings stripped (python -OO)
        return cls
    for section, order in (("Parameters", list(inspect.signature(cls).parameters)),
                           ("Attributes", None)):
        own, shared = docstring_entries(cls, section), docstring_entries(plain, section)
        names = order or list(own) + [name for name in shared if name not in own]
        merged = "\n".join(own.get(name) or shared[name] for name in names)
        cls.__doc__ = cls.__doc__.replace("\n".join(own.values()), merged)
    return cls


@_shares_docs
class ConvexBNRegressorCV(_ConvexBNCVMixin, ConvexBNRegressor):
    """:class:`ConvexBNRegressor` with ``alpha`` (and ``spectral_power``) chosen by CV.

    A grid of ``alpha`` from ``alpha_max`` down to ``eps * alpha_max`` (log-spaced);
    on each fold, the fits along the grid are warm-started from one another (largest
    ``alpha`` first, where the network is empty); the best mean score over the folds
    picks ``alpha_``, and the network is refitted on all the
    data there. Every other parameter is that of :class:`ConvexBNRegressor` and means
    the same.

    Parameters
    ----------
    alphas : int or array-like, default=10
        Number of grid points, or the grid itself (any order; it is walked from the
        largest value down).
    eps : float, default=1e-2
        Length of the grid: ``alpha_min / alpha_max`` (with an int ``alphas``). With
        ``1e-3`` (the classifier's default) the fits of the regression benchmark took 3
        to 8 times as long, the smallest ``alpha`` costing the most, and chose no
        ``alpha`` below ``1e-2 * alpha_max``.
    cv : int, cross-validation generator or iterable, default=None
        As in :func:`~sklearn.model_selection.check_cv` (None: 5-fold).
    scoring : str, callable or None, default=None
        As in :class:`~sklearn.model_selection.GridSearchCV` (None: the estimator's
        ``score``, R²).
    n_jobs : int or None, default=None
        Paths (one per fold and ``spectral_power``) computed in parallel with joblib;
        under ``joblib.parallel_backend("dask")`` they run on a Dask cluster.
    refit : bool, default=True
        Refit on all the data at the best grid point (without it, the estimator
        cannot predict, and the network's attributes below do not exist).
    spectral_power : float or array-like of float, default=1.0
        One value, or several searched jointly with ``alpha`` (as ``l1_ratio`` in
        :class:`~sklearn.linear_model.ElasticNetCV`); each has its own grid. The
        default is that of :class:`ConvexBNRegressor`.

    Attributes
    ----------
    alpha_ : float
        The chosen ``alpha``.
    spectral_power_ : float
        The chosen ``spectral_power``.
    alphas_ : ndarray of shape (n_alphas,) or (n_spectral_powers, n_alphas)
        The grid (largest first), per ``spectral_power`` when several were given.
    scores_ : ndarray of shape (n_alphas, n_folds) or (n_spectral_powers, n_alphas, n_folds)
        Held-out score of every fold at every grid point.
    best_score_ : float
        Mean held-out score at the chosen grid point.

    See Also
    --------
    ConvexBNRegressor : the estimator at a fixed ``alpha``.
    sklearn.linear_model.LassoCV : the same scheme for the lasso.

    Notes
    -----
    ``alpha_max`` is that of the program on all the data (see
    :func:`~sk_convexbn.alpha_max`); on a fold, the first grid point may then keep a few
    neurons. The grid, ``alpha_`` and the scores do not depend on the scale of ``y``:
    every fit standardizes its own training target (see :class:`ConvexBNRegressor`,
    Notes). Warm starts change the time, not the result: each fit stops at the same
    duality gap ``tol`` as a cold fit. Two settings make a path differ from cold fits:
    ``pattern_search`` (the patterns generated at larger ``alpha`` stay in the program
    for the smaller ones) and a gradient-descent seed (``init="gd"``, or ``"auto"`` on
    large data, decided once on all the data for the folds and the refit: one seed
    run per path, at its smallest ``alpha``; ``alpha_max`` comes from the sampled
    patterns alone). The largest ``alpha`` wins ties within one ``spectral_power``;
    across them, the first listed. An int ``random_state`` gives each fold the
    patterns a plain fit on its rows would draw, so that without a seed the result is
    the same as a :class:`~sklearn.model_selection.GridSearchCV` over ``alpha``.
    ``fit`` takes no ``groups``: pass the splits as ``cv`` for grouped folds.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_convexbn import ConvexBNRegressorCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 3))
    >>> y = np.abs(X[:, 0]) - X[:, 1]
    >>> model = ConvexBNRegressorCV(alphas=4, n_patterns=20, cv=3, random_state=0)
    >>> model.fit(X, y).alphas_.shape
    (4,)
    >>> bool(model.alpha_ in model.alphas_)
    True
    """

    _plain = ConvexBNRegressor
    _parameter_constraints: dict = _cv_constraints(ConvexBNRegressor)

    def __init__(
        self,
        *,
        alphas=10,
        eps=1e-2,
        fit_intercept=True,
        n_patterns=100,
        init="auto",
        pattern_search=0,
        n_components=None,
        spectral_power=1.0,
        cv=None,
        scoring=None,
        n_jobs=None,
        refit=True,
        solver="auto",
        solver_params=None,
        max_iter=10_000,
        tol=1e-6,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.alphas = alphas
        self.eps = eps
        self.fit_intercept = fit_intercept
        self.n_patterns = n_patterns
        self.init = init
        self.pattern_search = pattern_search
        self.n_components = n_components
        self.spectral_power = spectral_power
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.solver = solver
        self.solver_params = solver_params
        self.max_iter = max_iter
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_failure
    def fit(self, X, y, sample_weight=None):
        """Choose ``alpha`` by cross-validation along a warm-started path, then refit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training rows of each fold and of the refit (the held-out
            scores are unweighted, as in ``GridSearchCV``).

        Returns
        -------
        self : ConvexBNRegressorCV
        """
        clear_fitted_state(self)
        return self._fit_cv(X, y, sample_weight)


@_shares_docs
class ConvexBNClassifierCV(_ConvexBNCVMixin, ConvexBNClassifier):
    """:class:`ConvexBNClassifier` with ``alpha`` (and ``spectral_power``) chosen by CV.

    As :class:`ConvexBNRegressorCV` (the grid from ``alpha_max`` down, one
    warm-started path per fold, the best mean score, a refit on all the data), with
    stratified folds and accuracy as the default score. Every other parameter is
    that of :class:`ConvexBNClassifier` and means the same.

    Parameters
    ----------
    alphas : int or array-like, default=10
        Number of grid points, or the grid itself.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` (with an int ``alphas``).
    cv : int, cross-validation generator or iterable, default=None
        As in :func:`~sklearn.model_selection.check_cv` (None: 5-fold, stratified).
    scoring : str, callable or None, default=None
        None: accuracy (the estimator's ``score``).
    n_jobs : int or None, default=None
        Paths computed in parallel with joblib (a Dask cluster under
        ``joblib.parallel_backend("dask")``).
    refit : bool, default=True
        Refit on all the data at the best grid point (without it, the estimator
        cannot predict, and the network's attributes below do not exist).
    spectral_power : float or array-like of float, default=1.0
        One value, or several searched jointly with ``alpha``.

    Attributes
    ----------
    alpha_ : float
        The chosen ``alpha``.
    spectral_power_ : float
        The chosen ``spectral_power``.
    alphas_ : ndarray of shape (n_alphas,) or (n_spectral_powers, n_alphas)
        The grid (largest first), per ``spectral_power`` when several were given.
    scores_ : ndarray of shape (n_alphas, n_folds) or (n_spectral_powers, n_alphas, n_folds)
        Held-out score of every fold at every grid point.
    best_score_ : float
        Mean held-out score at the chosen grid point.

    See Also
    --------
    ConvexBNClassifier : the estimator at a fixed ``alpha``.
    sklearn.linear_model.LogisticRegressionCV : the same scheme for logistic regression.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_convexbn import ConvexBNClassifierCV
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ConvexBNClassifierCV(alphas=3, n_patterns=10, cv=3, random_state=0)
    >>> clf.fit(X, y).scores_.shape
    (3, 3)
    """

    _plain = ConvexBNClassifier
    _parameter_constraints: dict = _cv_constraints(ConvexBNClassifier)

    def __init__(
        self,
        *,
        loss="log_loss",
        alphas=10,
        eps=1e-3,
        fit_intercept=True,
        n_patterns=100,
        init="auto",
        pattern_search=0,
        n_components=None,
        spectral_power=1.0,
        class_weight=None,
        cv=None,
        scoring=None,
        n_jobs=None,
        refit=True,
        solver="auto",
        solver_params=None,
        max_iter=10_000,
        tol=1e-6,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.loss = loss
        self.alphas = alphas
        self.eps = eps
        self.fit_intercept = fit_intercept
        self.n_patterns = n_patterns
        self.init = init
        self.pattern_search = pattern_search
        self.n_components = n_components
        self.spectral_power = spectral_power
        self.class_weight = class_weight
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.solver = solver
        self.solver_params = solver_params
        self.max_iter = max_iter
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_failure
    def fit(self, X, y, sample_weight=None):
        """Choose ``alpha`` by cross-validation along a warm-started path, then refit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training rows (held-out scores are unweighted).

        Returns
        -------
        self : ConvexBNClassifierCV
        """
        clear_fitted_state(self)
        return self._fit_cv(X, y, sample_weight)
