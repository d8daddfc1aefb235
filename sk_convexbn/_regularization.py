"""The regularization path's starting point: the smallest ``alpha`` with an all-zero network."""

from __future__ import annotations

from sklearn.base import clone

from ._estimators._convex import ConvexBNClassifier, ConvexBNRegressor, _ConvexBNBase


def alpha_max(X, y, *, estimator=None, sample_weight=None) -> float:
    """Smallest ``alpha`` at which a convex BN estimator returns a network with no neuron.

    For every ``alpha >= alpha_max(X, y, estimator=est)``, ``est`` (with the same
    other hyperparameters, ``random_state`` included, since the activation patterns
    are sampled) fits ``X, y`` with all hidden blocks zero: the network predicts its
    intercept only. Grids of ``alpha`` are naturally laid out as fractions of it,
    e.g. ``alpha_max(...) * np.logspace(-4, 0, 10)``; the CV estimators start their
    grids here by the same rule.

    The patterns covered are those of the program before any training: the sampled
    ones and, when ``init`` is a fitted estimator, its neurons'. With
    ``init="gd"`` (and ``"auto"`` on large data) the patterns of the gradient-descent
    seed run are not covered (that run trains at the fit's own ``alpha``, so its
    patterns depend on it): a fit at ``alpha_max`` may then keep neurons on them.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data, as the estimator would be fitted on them.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets (regression) or class labels (classification).
    estimator : ConvexBNRegressor or ConvexBNClassifier, default=None
        The estimator whose program is meant (its ``alpha`` is ignored; it is not
        fitted or modified, and nothing is trained). ``None`` means ``ConvexBNRegressor()``.
    sample_weight : array-like of shape (n_samples,), default=None
        Nonnegative row weights, as in the estimator's ``fit``.

    Returns
    -------
    float
        The smallest ``alpha`` at which the optimum over the estimator's patterns
        is the empty network (the top of an ``alpha`` grid).

    Notes
    -----
    At ``u = 0`` (and the optimal intercept ``b_0``) let ``G`` be the gradient of the
    data term with respect to the network outputs, ``G_ic = (w_i/N) dl/dF_ic``. Block
    ``b`` (pattern ``D``, sign ``sigma``, output ``c``, cone matrix
    ``A_b = (2D - I) Z``) stays at zero exactly when the KKT condition
    ``min_{lambda >= 0} ||sigma Z^T D G_c - A_b^T lambda|| <= alpha`` holds, hence

    .. math::

        \\alpha_{\\max} = \\max_b \\min_{\\lambda \\ge 0}
        \\big\\| \\sigma_b Z^T D_{p(b)} G_{c(b)} - A_b^T \\lambda \\big\\|_2 ,

    the norm of the projection of ``-grad_b`` onto the block's cone, computed by the
    same exact cone projections as the working-set solver's optimality check
    (blocks sharing a pattern and an output but not a sign are two different
    problems; blocks are projected by decreasing ``||grad_b||``, an upper bound, until
    none can exceed the largest value found). Where the estimator uses the closed form (squared loss, full row rank,
    every pattern), the same condition reduces to the largest root mean square of the
    positive and negative parts of the residual ``Y - b_0``. This costs far less than
    a fit, but grows with ``n_patterns`` times the number of outputs. The value is
    exact for the program; a solver stops within its tolerance, so just above
    ``alpha_max`` a fitted network may keep a few neurons of negligible weight.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_convexbn import ConvexBNRegressor, alpha_max
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 3))
    >>> y = np.maximum(X[:, 0], 0) - X[:, 1]
    >>> est = ConvexBNRegressor(n_patterns=20, random_state=0)
    >>> a = alpha_max(X, y, estimator=est)
    >>> import warnings
    >>> with warnings.catch_warnings():  # the fit warns that its network is empty
    ...     warnings.simplefilter("ignore")
    ...     est.set_params(alpha=1.01 * a).fit(X, y).n_neurons_
    0
    >>> est.set_params(alpha=0.5 * a).fit(X, y).n_neurons_ > 0
    True
    """
    if estimator is None:
        estimator = ConvexBNRegressor()
    if not isinstance(estimator, _ConvexBNBase):
        raise TypeError(
            "alpha_max needs a ConvexBNRegressor or a ConvexBNClassifier as estimator; "
            f"got {type(estimator).__name__}."
        )
    estimator = clone(estimator)
    estimator._validate_params()
    return estimator._alpha_max(X, y, sample_weight)


def global_optimality_gap(model, X, y, *, sample_weight=None) -> tuple[float, float]:
    """How far a fitted BN network's J is above the global minimum over all networks.

    Available when the whitened data has rank 1 or 2 (every activation pattern can
    then be enumerated, and the convex program over all of them is exactly the
    problem of training a network of any width).

    Parameters
    ----------
    model : fitted estimator of sk_convexbn
        Any of the four estimators (gradient descent or convex). Its ``alpha``,
        loss, ``fit_intercept``, ``n_components`` and ``spectral_power`` define J.
    X : array-like of shape (n_samples, n_features)
        The training data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The training targets or labels.
    sample_weight : array-like of shape (n_samples,), default=None
        The training row weights, if the model was fitted with them.

    Returns
    -------
    gap : float
        ``(J(model) - J*) / J*`` with ``J*`` the global minimum, certified to the
        solver's tolerance (``1e-9``): a value within about ``1e-9`` of 0 says the
        network is globally optimal; a value above says how far it is.
    minimum : float
        ``J*``.

    Raises
    ------
    ValueError
        If the whitened data has rank above 2.

    Notes
    -----
    ``J(model)`` is the model's objective recomputed on ``X`` (BN statistics of
    ``X``), so the two numbers compare the same function; for a regressor, both are J
    of the standardized target it fits (see :class:`ConvexBNRegressor`, Notes). The minimum is over
    networks whose neurons each feed one output, which for one output (regression,
    binary classification) is every network; with several outputs a network whose
    neurons feed all of them can go lower, and the gap can be negative.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_convexbn import GDBNRegressor, global_optimality_gap
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-2, 2, (30, 1))
    >>> y = np.sin(2 * X[:, 0])
    >>> gd = GDBNRegressor(alpha=1e-2, hidden_layer_sizes=20, max_iter=2000,
    ...                    random_state=0).fit(X, y)
    >>> gap, minimum = global_optimality_gap(gd, X, y)
    >>> bool(gap > -1e-9)
    True
    """
    classifier = hasattr(model, "classes_")
    convex = (ConvexBNClassifier(loss=model.loss, class_weight=model.class_weight)
              if classifier else ConvexBNRegressor())
    convex.set_params(alpha=model.alpha, fit_intercept=model.fit_intercept,
                      n_components=model.n_components, spectral_power=model.spectral_power,
                      n_patterns="all", solver="working_set", tol=1e-9)
    convex.fit(X, y, sample_weight=sample_weight)
    program, _, _ = clone(convex)._program(X, y, sample_weight)
    network = model._network()
    if not classifier:  # regressors fit the standardized target (BNRegressorMixin)
        network = convex._standardized(network)
    J = network.objective(program.rows, program.targets, program.sample_weight,
                          program.loss, float(model.alpha), program.penalty)
    return (J - convex.objective_) / abs(convex.objective_), float(convex.objective_)
