"""Estimators trained by solving the equivalent convex program."""

from __future__ import annotations

import copy
import warnings
from numbers import Integral, Real

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from .._core._device import resolve_device
from .._core._warnings import warn
from .._program import SolveStatus, make_program
from .._solvers import SOLVERS, SolveRequest, choose_solver, fit_program, get_solver
from .._training import GDConfig, fit_gd_network
from ._base import BNNetworkMixin, clear_fitted_state, unfitted_on_failure
from ._classification import BNClassifierMixin
from ._progress import CallbackSupportMixin, FitProgress
from ._regression import BNRegressorMixin


#: ``init="gd"`` (and "auto" on large data): width and epoch budget of the
#: gradient-descent run whose neurons' patterns join the program (on the 2,000 x 50 regression of the benchmarks, such a
#: run takes seconds and its patterns bring the convex optimum below gradient
#: descent's J, 29 times below the optimum over 100 random patterns).
GD_WIDTH = 100
GD_EPOCHS = 500
#: The seed run stops after GD_PATIENCE epochs without J improving by GD_TOL: later than
#: the GD estimators' defaults (1e-4, 10), since better trained seeds give better patterns.
#: Digits, init="gd", n_patterns=0: with (1e-4, 10) J 0.124, 45 neurons, test accuracy
#: 0.975, 44 s; with (1e-6, 50) J 0.120, 36 neurons, 0.978, 38 s.
GD_TOL = 1e-6
GD_PATIENCE = 50
#: ``init="auto"`` seeds with gradient descent from this many entries of ``X``
#: (n_samples x n_features) on. Measured (benchmarks/baselines.py, pattern_defaults.py):
#: on digits (92 K entries) and the 2,000 x 50 regression (80 K) the seed's patterns
#: gave a higher held-out score and a lower J than 100 random ones (digits in 0.45 times
#: the time, the regression in 1.6 times); on iris, wine and breast_cancer (at most
#: 14 K) the same accuracy in 2-4 times the time. Unmeasured on tall, narrow data
#: (many rows, few features), where random patterns may already cover what matters.
AUTO_GD_ENTRIES = 50_000

#: Warning of a fit whose network has no neuron (the CV paths start there on purpose).
EMPTY_NETWORK = (
    "the fitted network has no neuron at alpha={alpha:.4g}: it predicts its intercept "
    "only. This alpha is at or above the smallest value that empties the program "
    "(sk_convexbn.alpha_max); lower it."
)


class _ConvexBNBase(CallbackSupportMixin, BNNetworkMixin, BaseEstimator):
    """Shared parameters and fitting path of the convex estimators."""

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "n_patterns": [Interval(Integral, 0, None, closed="left"), StrOptions({"all"})],
        "init": [None, BNNetworkMixin, StrOptions({"gd", "auto"})],
        "pattern_search": [Interval(Integral, 0, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "spectral_power": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", *SOLVERS})],
        "solver_params": [dict, None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "warm_start": ["boolean"],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        alpha=1e-2,  # these defaults are ConvexBNRegressor's (the classifier has its own)
        fit_intercept=True,
        n_patterns=100,
        init="auto",
        pattern_search=0,
        n_components=None,
        spectral_power=1.0,
        solver="auto",
        solver_params=None,
        max_iter=10_000,
        tol=1e-6,
        warm_start=False,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_patterns = n_patterns
        self.init = init
        self.pattern_search = pattern_search
        self.n_components = n_components
        self.spectral_power = spectral_power
        self.solver = solver
        self.solver_params = solver_params
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _solver_options(self) -> dict:
        """``solver_params`` validated by the named solver (before any work on the data)."""
        if self.solver == "auto":
            if self.solver_params:
                raise ValueError(
                    "solver_params configures one solver, but solver='auto' chooses the "
                    "solver from the data; name the solver (e.g. solver='working_set') to pass "
                    f"solver_params={self.solver_params!r}."
                )
            return {}
        return get_solver(self.solver).check_params(self.solver_params)

    def _program(self, X, y, sample_weight, *, alpha=None, spectral_power=None):
        """Validate the data and build the convex program: the sampled patterns and a
        fitted ``init``'s, no training (a gradient-descent seed, ``init="gd"`` or
        "auto" on large data, joins in :meth:`_seeded`).

        ``alpha`` and ``spectral_power`` default to the estimator's (the CV estimators
        pass the grid's). Returns the program, the solver's validated options and the
        validated data ``(X, Y, sample_weight, loss)`` (targets encoded, class weights
        in the weights).
        """
        options = self._solver_options()
        data = X, Y, sample_weight, loss_name = self._validate_fit_data(X, y, sample_weight)
        program = make_program(
            X, Y, sample_weight, loss=loss_name,
            alpha=float(self.alpha if alpha is None else alpha),
            fit_intercept=bool(self.fit_intercept), n_components=self.n_components,
            spectral_power=self._power(spectral_power), n_patterns=self.n_patterns,
            random_state=self.random_state,
        )
        if self.init is not None and not isinstance(self.init, str):
            program = program.with_gates(program.gates_of(self._init_network(X.shape[1])))
        return program, options, data

    def _power(self, spectral_power):
        return self.spectral_power if spectral_power is None else spectral_power

    def _resolved_init(self, X):
        """``init`` with "auto" decided for ``X``: "gd" from ``AUTO_GD_ENTRIES`` entries
        on (unless every pattern is enumerated), None below."""
        if not (isinstance(self.init, str) and self.init == "auto"):
            return self.init
        large = X.shape[0] * X.shape[1] >= AUTO_GD_ENTRIES
        return "gd" if large and self.n_patterns != "all" else None

    def _seeded(self, program, data, *, spectral_power=None, seed=None):
        """The program with the patterns of a short gradient-descent run of its J added
        (full-batch Adam, ``GD_WIDTH`` neurons feeding one output each, at most
        ``GD_EPOCHS`` epochs, stopped by ``GD_TOL`` and ``GD_PATIENCE``) where ``init``
        resolves to "gd", and that run's network; the program and None otherwise.

        ``seed``, an earlier run's network on the same features (``warm_start``), is
        used instead of a new run.
        """
        X, Y, sample_weight, loss_name = data
        if self._resolved_init(X) != "gd":
            return program, None
        if seed is not None and seed.hidden_weights.shape[0] == X.shape[1]:
            return program.with_gates(program.gates_of(seed)), seed
        with warnings.catch_warnings():  # a seed: the convex certificate is what counts
            warnings.simplefilter("ignore", ConvergenceWarning)
            seed = fit_gd_network(
                X, Y, sample_weight, loss=loss_name, alpha=program.alpha,
                config=GDConfig(max_iter=GD_EPOCHS, tol=GD_TOL, n_iter_no_change=GD_PATIENCE),
                random_state=self.random_state,
                device=self.device, fit_intercept=bool(self.fit_intercept),
                n_components=self.n_components, spectral_power=self._power(spectral_power),
                n_neurons=GD_WIDTH, neuron_outputs="one")
        return program.with_gates(program.gates_of(seed.network)), seed.network

    def _named_solver(self, program):
        """The solver of ``solver``: the ``"auto"`` rule's choice, or the one named."""
        return choose_solver(program) if self.solver == "auto" else get_solver(self.solver)

    def _solver_for(self, program):
        """:meth:`_named_solver`, for a program that has patterns to solve over."""
        if program.n_patterns == 0 and not self.pattern_search:
            raise ValueError(
                "the program has no activation pattern: use n_patterns >= 1, init=\"gd\" "
                "or a fitted network, or pattern_search >= 1."
            )
        return self._named_solver(program)

    def _prepare(self, X, y, sample_weight, *, alpha=None, spectral_power=None, seed=None):
        """The seeded program, its solver, the solve request of this estimator and the
        seed network (None without one; ``seed`` is reused, see :meth:`_seeded`)."""
        program, options, data = self._program(X, y, sample_weight, alpha=alpha,
                                               spectral_power=spectral_power)
        program, seed = self._seeded(program, data, spectral_power=spectral_power, seed=seed)
        request = SolveRequest(options, max_iter=self.max_iter, tol=self.tol,
                               device=resolve_device(self.device), verbose=self.verbose)
        return program, self._solver_for(program), request, seed

    def _alpha_max(self, X, y, sample_weight, *, spectral_power=None) -> float:
        """The one ``alpha_max`` rule (see :func:`sk_convexbn.alpha_max`): the program
        over the sampled patterns and a fitted ``init``'s, never a gradient-descent seed's."""
        program, _, _ = self._program(X, y, sample_weight, alpha=1.0,
                                      spectral_power=spectral_power)
        return self._named_solver(program).alpha_max(program)

    def _init_network(self, n_features: int):
        """The network of ``init`` (a fitted estimator of this library) for this data."""
        if not hasattr(self.init, "hidden_weights_"):
            raise ValueError("init must be a fitted estimator of sk_convexbn, e.g. a "
                             "fitted GDBNClassifier whose patterns the program should use.")
        network = self.init._network()
        if network.hidden_weights.shape[0] != n_features:
            raise ValueError(
                f"init was fitted on {network.hidden_weights.shape[0]} features; this "
                f"data has {n_features}."
            )
        return network

    def _fit_convex(self, X, y, sample_weight, label=None):
        """Fit the network: validate, build the program, call the fit kernel, store.

        ``label`` prefixes the verbose lines (default: the class name).
        """
        resolve_device(self.device)  # fail early on an unavailable device
        clear_fitted_state(self)  # no attribute of an earlier fit survives (warm state is private)
        # warm starts along alpha keep the first fit's seed: a new seed run would change
        # the patterns, and the warm state applies only to the same patterns
        seed = getattr(self, "_warm_seed", None) if self.warm_start else None
        program, solver, request, seed = self._prepare(X, y, sample_weight, seed=seed)
        self._warm_seed = seed if self.warm_start else None
        progress = FitProgress.start(self, program.rows, program.targets,
                                     program.sample_weight)
        request.progress = progress.reporter("iteration")
        request.state = getattr(self, "_warm_state", None) if self.warm_start else None
        fit = fit_program(program, solver, request, pattern_search=self.pattern_search,
                          random_state=self.random_state,
                          label=label or type(self).__name__)
        if fit.network.n_neurons == 0 and fit.solution.status is SolveStatus.OPTIMAL:
            warn(EMPTY_NETWORK.format(alpha=program.alpha))
        self._store_fit(fit)
        self._warm_state = fit.state if self.warm_start else None
        progress.end(objective=self.objective_, duality_gap=self.duality_gap_)
        return self

    def _store_fit(self, fit) -> None:
        """The fitted attributes of a :class:`~sk_convexbn._solvers.ProgramFit`."""
        self._store_network(fit.network)
        self.objective_ = fit.objective
        self.n_iter_ = fit.solution.n_iter
        self.duality_gap_ = fit.duality_gap
        self.solver_ = fit.solver
        self.n_patterns_ = fit.n_patterns
        self.n_components_ = fit.program.whitening.n_directions
        if fit.pattern_violation is not None:
            self.pattern_violation_ = fit.pattern_violation

    def _fitted_copy(self, fit):
        """A new estimator of this one's parameters at ``fit``'s ``alpha``, fitted to ``fit``
        (this one, which validated the data, is not modified)."""
        model = copy.copy(self)
        model.alpha = fit.program.alpha
        model._store_fit(fit)
        return model


class ConvexBNRegressor(BNRegressorMixin, RegressorMixin, _ConvexBNBase):
    """Two-layer ReLU network with batch normalization, trained to a certified optimum.

    Fits :math:`f(x) = \\sum_j \\operatorname{relu}(\\mathrm{BN}_j(x^\\top w_j))\\, v_j + b`
    by solving the equivalent
    convex program: a group lasso over activation patterns of the whitened data
    (see :ref:`the theory <theory>`). There is no learning rate and no local minimum;
    with the sampled patterns the program is a restriction of the full one, and
    every point it returns is an exact BN network.

    Parameters
    ----------
    alpha : float, default=1e-2
        Weight-decay strength (> 0) on the BN scales, BN shifts and output weights,
        relative to the scale of the target: the program is solved for the
        standardized target (see Notes), so a value means the same whatever the units
        of ``y`` (:func:`~sk_convexbn.alpha_max`, where the network empties, was about
        0.3 on the problems of the regression benchmark). The default was chosen
        among values from 3e-3 to 1e-1 on diabetes, ``make_friedman1`` and
        ``make_regression``: larger values underfit the synthetic problems, smaller
        ones overfit diabetes (``benchmarks/regression_defaults.py`` compares it with
        Ridge and MLPRegressor). :class:`ConvexBNRegressorCV` chooses ``alpha`` by
        cross-validation.
    fit_intercept : bool, default=True
        Whether to add an unregularized output bias ``b``.
    n_patterns : int or "all", default=100
        Number of random gates drawn to sample activation patterns (duplicates are
        dropped, so at most this many patterns are used; ``n_patterns_`` counts
        them). ``"all"`` enumerates every pattern when the whitened data has rank 1
        or 2: the optimum is then the global minimum of J over networks of any
        width, and ``duality_gap_`` certifies that.
    init : fitted estimator of sk_convexbn, "gd", "auto" or None, default="auto"
        Add the activation patterns of that estimator's neurons (e.g. a
        :class:`GDBNRegressor` trained by gradient descent) to the program. Its
        network, with each neuron feeding one output, is then a feasible point, so
        the convex optimum is never above its J. ``"gd"`` trains such a network
        first (full-batch Adam, 100 neurons of one output each, at most 500 epochs,
        same J) and adds its patterns: on many-dimensional data they are far better
        than random ones (see the benchmarks). ``"auto"`` is ``"gd"`` when ``X`` has
        at least 50,000 entries (n_samples x n_features) and None below: measured,
        the seed's patterns raised the held-out R² of a 2,000 x 50 regression from
        0.74 to 0.97 (in 1.6 times the time) and the accuracy on digits from 0.964 to
        0.978 (in 0.45 times the time), while on small data sets they gave the same
        accuracy in 2-4 times the time (not measured on tall, narrow data: with few
        features, random patterns may suffice; ``n_patterns="all"`` skips the seed).
        None uses the ``n_patterns`` random patterns only.
    pattern_search : int, default=0
        Rounds of pattern generation from the dual: after each solve, a local search
        over neurons (projected gradient ascent from many starts) finds the patterns
        whose neurons would lower J; they join the program, which is solved again
        from the previous solution. J never increases; ``pattern_violation_``
        reports what the last search found.
    n_components : int or None, default=None
        Restrict first-layer weights to the top ``n_components`` principal
        directions of the centred data. ``None`` uses every direction of nonzero
        variance.
    spectral_power : float, default=1.0
        Penalize BN directions of low variance more: the penalty on
        :math:`\\gamma^2` becomes :math:`\\gamma^2 \\|\\Lambda^{-1} q\\|^2` with
        :math:`\\Lambda = \\operatorname{diag}((\\sigma_k / \\sigma_1)^\\tau)`,
        :math:`\\tau` = ``spectral_power``. 0 is plain batch normalization. The default 1,
        as on :class:`ConvexBNClassifier`, encodes the preference of gradient descent
        for high-variance directions (:ref:`theory_implicit_regularization`): on
        diabetes (two splits) it raised the held-out R² by 0.03 and 0.06 (mean over
        three pattern draws), and on ``make_friedman1`` and ``make_regression``, whose
        features all have the same variance, it changed it by less than 0.01 (see
        ``benchmarks/regression_defaults.py``). Set 0 for the plain BN objective, e.g.
        to compare with :class:`GDBNRegressor` (whose default is 0) at equal J, or to
        use the closed form. With ``spectral_power > 0`` the model sees the scales of
        the features (as gradient descent does): standardize ``X``, e.g. with a
        :class:`~sklearn.preprocessing.StandardScaler` in a pipeline.
    solver : {"auto", "working_set", "closed_form", "cvxpy"}, default="auto"
        ``"working_set"``: the exact solver of the library, a working set of blocks
        grown from the most violating ones, solved by proximal gradient and Newton's
        method on the faces of the pattern cones, and certified by the duality gap of
        the whole program. ``"closed_form"``: the exact optimum over all networks
        when ``[X, 1]`` has full row rank on the distinct training rows, squared loss
        and ``spectral_power=0``. ``"cvxpy"``: the reference (CVXPY + Clarabel),
        accurate to ~1e-8, for small problems. ``"auto"``: the closed form where
        it applies, else the working set.
    solver_params : dict or None, default=None
        Extra options of a named solver (an error with ``"auto"``). For
        ``"working_set"``: ``dtype`` (``"float64"`` default, or ``"float32"``, half
        the memory, but round-off can stall it above ``tol`` on ill-conditioned
        programs);
        for ``"cvxpy"``, keyword arguments of :meth:`cvxpy.Problem.solve` (e.g.
        ``{"solver": "SCS"}``).
    max_iter : int, default=10000
        Iteration limit of the working-set solver: its rounds (rarely more than a
        few tens are needed).
    tol : float, default=1e-6
        The iterative solvers stop when the relative duality gap ``(J - D) / J`` of
        their (feasible) network is below ``tol``: its objective is then within
        ``tol`` (relative) of the optimum over the program's patterns.
    warm_start : bool, default=False
        When refitting on the same data and patterns (e.g. along a path of
        ``alpha``), start from the previous fit's solution (the working set and its
        blocks, kept on the estimator). A gradient-descent seed (``init="gd"``, or
        "auto" on large data) is then trained once: refits reuse its network, so
        that the patterns stay the same.
    device : {"cpu", "cuda", "cuda:N", "auto"}, default="cpu"
        Where the working-set solver computes (``"auto"``: CUDA when
        available). Fitted arrays are NumPy whatever the device.
    random_state : int, RandomState instance or None, default=None
        Seeds the gates that sample activation patterns.
    verbose : int, default=0
        0: silent. 1: a summary of the program, a line per round of the working-set
        solver with the duality gap and the elapsed time, and the result. ``>= 2``:
        the solver's details (Newton steps; CVXPY's own log).

    Attributes
    ----------
    hidden_weights_ : ndarray of shape (n_features, n_neurons)
        First-layer weights, scaled to unit standard deviation on the training data.
    bn_mean_ : ndarray of shape (n_neurons,)
        Training mean of each pre-activation (BN running mean).
    bn_std_ : ndarray of shape (n_neurons,)
        Training standard deviation of each pre-activation (1 by construction).
    bn_scale_ : ndarray of shape (n_neurons,)
        BN scale ``gamma``.
    bn_shift_ : ndarray of shape (n_neurons,)
        BN shift ``beta``.
    output_weights_ : ndarray of shape (n_neurons, n_outputs)
        Second-layer weights; each neuron feeds one output.
    intercept_ : ndarray of shape (n_outputs,)
        Output bias (zeros when ``fit_intercept=False``).
    n_neurons_ : int
        Number of hidden neurons of the returned network (nonzero blocks).
    objective_ : float
        The objective J of the standardized target (see Notes) on the training data at
        the returned network.
    n_iter_ : int
        Rounds of the working set, iterations of CVXPY (0 for the closed
        form).
    duality_gap_ : float
        Relative duality gap ``(J - D) / J >= 0`` certified at the returned network
        over the program's patterns (0 for the closed form, NaN for CVXPY, whose own
        tolerances apply).
    solver_ : str
        The solver used.
    n_patterns_ : int
        Number of distinct activation patterns in the program (sampled, from
        ``init`` and generated; 0 for the closed form, which has them all).
    pattern_violation_ : float
        With ``pattern_search``: ``max(0, v / alpha - 1)`` for the largest lower bound
        ``v`` on a neuron's optimality violation that the last search found (0: no
        neuron the search could reach would lower J).
    n_components_ : int
        Number of whitened directions used.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        Defined only when ``X`` has feature names that are all strings.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : the same kind of network, without BN,
        trained by gradient descent.

    Notes
    -----
    The objective, with :math:`N = \\sum_i w_i`, is

    .. math::

        J = \\frac{1}{N}\\sum_i w_i \\tfrac12\\|f(x_i) - y_i\\|^2
          + \\frac{\\alpha}{2}\\sum_j \\big(\\gamma_j^2 + \\beta_j^2 + \\|v_j\\|^2\\big).

    Batch normalization whitens the data: with :math:`X - \\bar x = U S V^\\top` and
    :math:`Z = [\\sqrt{N}\\, U, 1]`, minimizing J is the convex program

    .. math::

        \\min_{u}\\; \\frac{1}{N}\\sum_i w_i\\,\\ell\\Big(\\big[\\textstyle\\sum_p D_p Z
        (u_p - u'_p)\\big]_i + b, y_i\\Big) + \\alpha\\sum_p (\\|u_p\\| + \\|u'_p\\|)
        \\quad \\text{s.t. } (2D_p - I) Z u_p \\ge 0,\\ (2D_p - I) Z u'_p \\ge 0

    over activation patterns :math:`D_p` (Ergen, Sahiner, Ozturkler, Pauly, Mardani and
    Pilanci, ICLR 2022). Each nonzero block is one neuron.

    ``fit`` standardizes the target: it solves the program for :math:`(y - m) / s`, with
    :math:`m` the (weighted) mean of each output (0 when ``fit_intercept=False``) and
    :math:`s` one scale for all outputs, the root mean of their (weighted) variances
    (the root mean square of ``y`` when ``fit_intercept=False``; 1 for a constant
    target). It stores the network of ``y``: BN scales, BN shifts and output weights
    multiplied by :math:`\\sqrt{s}`, intercept :math:`s b + m`. Predictions, the fitted
    arrays and :meth:`to_torch` are thus exact for ``y``, and the stored network is the
    optimum of J on ``y`` at :math:`\\alpha s` over the program's patterns. ``alpha``,
    ``objective_``, ``duality_gap_`` and ``verbose``'s objective are those of the
    standardized target: ``objective_`` is J of the stored network on ``y`` at
    :math:`\\alpha s`, divided by :math:`s^2`. With ``fit_intercept=True``, fitting
    :math:`a y + c` (:math:`a > 0`) instead of ``y`` gives the same neurons,
    ``objective_`` and score.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_convexbn import ConvexBNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 3))
    >>> y = np.abs(X[:, 0]) - X[:, 1]
    >>> model = ConvexBNRegressor(alpha=1e-2, n_patterns=30, random_state=0).fit(X, y)
    >>> model.predict(X[:2]).shape
    (2,)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_failure
    def fit(self, X, y, sample_weight=None):
        """Fit the network by solving the convex program.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Nonnegative weights; they act like repeated rows (rows of weight zero
            take no part in training, BN statistics included).

        Returns
        -------
        self : ConvexBNRegressor
        """
        return self._fit_convex(X, y, sample_weight)



class ConvexBNClassifier(BNClassifierMixin, ClassifierMixin, _ConvexBNBase):
    """Batch-normalized ReLU network classifier trained to a certified optimum.

    The network
    :math:`f(x) = \\sum_j \\operatorname{relu}(\\mathrm{BN}_j(x^\\top w_j))\\, v_j + b`
    is trained by solving the
    equivalent convex program (:ref:`theory`: a group lasso over activation patterns of the
    whitened data). Two classes use one output; ``C > 2`` classes use one output per
    class, every neuron feeding one output, which keeps the program convex and exact
    for the returned network.

    Parameters
    ----------
    loss : {"log_loss", "squared_error"}, default="log_loss"
        ``"log_loss"``: logistic loss on one logit (two classes) or softmax
        cross-entropy (more classes); probabilities available. ``"squared_error"``:
        squared loss on +-1 targets (two classes) or one-hot targets, as in the
        paper; the closed form applies to full-row-rank data.
    alpha : float, default=1e-3
        Weight-decay strength (> 0) on the BN scales, BN shifts and output weights.
    fit_intercept : bool, default=True
        Whether to add an unregularized output bias per output.
    n_patterns : int or "all", default=100
        Number of random gates drawn to sample activation patterns (duplicates are
        dropped, so at most this many patterns are used; ``n_patterns_`` counts
        them). ``"all"`` enumerates every pattern when the whitened data has rank 1
        or 2: the optimum is then the global minimum of J over networks of any
        width, and ``duality_gap_`` certifies that.
    init : fitted estimator of sk_convexbn, "gd", "auto" or None, default="auto"
        Add the activation patterns of that estimator's neurons (e.g. a
        :class:`GDBNClassifier` trained by gradient descent) to the program. Its
        network, with each neuron feeding one output, is then a feasible point, so
        the convex optimum is never above its J. ``"gd"`` trains such a network
        first, ``"auto"`` does when ``X`` has at least 50,000 entries (see
        :class:`ConvexBNRegressor`); None uses the random patterns only.
    pattern_search : int, default=0
        Rounds of pattern generation from the dual: after each solve, a local search
        over neurons (projected gradient ascent from many starts) finds the patterns
        whose neurons would lower J; they join the program, which is solved again
        from the previous solution. J never increases; ``pattern_violation_``
        reports what the last search found.
    n_components : int or None, default=None
        Restrict first-layer weights to the top ``n_components`` principal directions.
    spectral_power : float, default=1.0
        Penalize low-variance BN directions more
        (:math:`\\Lambda = \\operatorname{diag}((\\sigma_k / \\sigma_1)^\\tau)`,
        :math:`\\tau` = ``spectral_power``); 0 is plain batch normalization. The default 1
        encodes the preference of gradient descent for high-variance directions
        (:ref:`theory_implicit_regularization`): the whitened program with 0 treats all directions alike and fits
        noise directions, which costs accuracy on held-out data (breast_cancer: 0.912
        with 0, 0.974 with 1; see the classification benchmark). Set 0 for the plain
        BN objective, e.g. to compare with :class:`GDBNClassifier` at equal J, or to
        use the closed form. With ``spectral_power > 0`` the model sees the scales of
        the features (as gradient descent does): standardize ``X``, e.g. with a
        :class:`~sklearn.preprocessing.StandardScaler` in a pipeline.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying ``sample_weight`` (as in
        :class:`~sklearn.linear_model.LogisticRegression`).
    solver : {"auto", "working_set", "closed_form", "cvxpy"}, default="auto"
        See :class:`ConvexBNRegressor`. ``"auto"``: the closed form where it applies
        (squared loss, full row rank, ``spectral_power=0``), else the working-set solver.
    solver_params : dict or None, default=None
        Options of a named solver (see :class:`ConvexBNRegressor`).
    max_iter : int, default=10000
        Rounds of the working set.
    tol : float, default=1e-6
        Relative duality gap at which the iterative solvers stop.
    warm_start : bool, default=False
        Start from the previous fit's solution when refitting on the same data (a
        gradient-descent seed is trained once and reused, see
        :class:`ConvexBNRegressor`).
    device : {"cpu", "cuda", "cuda:N", "auto"}, default="cpu"
        Where the iterative solvers compute; fitted arrays are NumPy.
    random_state : int, RandomState instance or None, default=None
        Seeds the gates that sample activation patterns.
    verbose : int, default=0
        0: silent. 1: a summary of the program, a line per round of the working-set
        solver with the duality gap and the elapsed time, and the result. ``>= 2``:
        the solver's details (Newton steps; CVXPY's own log).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    hidden_weights_ : ndarray of shape (n_features, n_neurons)
        First-layer weights, scaled to unit standard deviation on the training data.
    bn_mean_, bn_std_, bn_scale_, bn_shift_ : ndarray of shape (n_neurons,)
        BN running statistics (training mean, standard deviation 1 by construction),
        scale ``gamma`` and shift ``beta``.
    output_weights_ : ndarray of shape (n_neurons, n_outputs)
        ``n_outputs`` is 1 for two classes, else ``n_classes``.
    intercept_ : ndarray of shape (n_outputs,)
        Output bias (zero mean over the classes with the softmax).
    n_neurons_ : int
        Number of hidden neurons of the returned network (nonzero blocks).
    objective_ : float
        J on the training data at the returned network.
    n_iter_ : int
        Rounds of the working set, iterations of CVXPY (0 for the closed
        form).
    duality_gap_ : float
        Relative duality gap ``(J - D) / J >= 0`` certified at the returned network
        over the program's patterns (0 for the closed form, NaN for CVXPY).
    solver_ : str
        The solver used.
    n_patterns_ : int
        Number of distinct activation patterns in the program.
    pattern_violation_ : float
        With ``pattern_search`` (see :class:`ConvexBNRegressor`).
    n_components_ : int
        Number of whitened directions used.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        Defined only when ``X`` has feature names that are all strings.

    See Also
    --------
    ConvexBNRegressor : the same model for regression.
    sklearn.neural_network.MLPClassifier : a ReLU network trained by gradient descent.

    Notes
    -----
    With :math:`N = \\sum_i w_i` (sample and class weights),

    .. math::

        J = \\frac{1}{N}\\sum_i w_i\\, \\ell(f(x_i), y_i)
          + \\frac{\\alpha}{2}\\sum_j \\big(\\gamma_j^2 + \\beta_j^2 + \\|v_j\\|^2\\big),

    ``ell`` the logistic, softmax cross-entropy or squared loss on encoded targets.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_convexbn import ConvexBNClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ConvexBNClassifier(alpha=1e-2, n_patterns=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **_ConvexBNBase._parameter_constraints,
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        loss="log_loss",
        alpha=1e-3,
        fit_intercept=True,
        n_patterns=100,
        init="auto",
        pattern_search=0,
        n_components=None,
        spectral_power=1.0,
        class_weight=None,
        solver="auto",
        solver_params=None,
        max_iter=10_000,
        tol=1e-6,
        warm_start=False,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            alpha=alpha, fit_intercept=fit_intercept, n_patterns=n_patterns, init=init,
            pattern_search=pattern_search, n_components=n_components,
            spectral_power=spectral_power, solver=solver,
            solver_params=solver_params, max_iter=max_iter, tol=tol,
            warm_start=warm_start, device=device, random_state=random_state,
            verbose=verbose,
        )
        self.loss = loss
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_failure
    def fit(self, X, y, sample_weight=None):
        """Fit the network by solving the convex program.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (any type scikit-learn accepts).
        sample_weight : array-like of shape (n_samples,), default=None
            Nonnegative weights, acting like repeated rows.

        Returns
        -------
        self : ConvexBNClassifier
        """
        return self._fit_convex(X, y, sample_weight)

