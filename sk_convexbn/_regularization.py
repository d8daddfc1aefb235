"""The regularization path's starting point: the smallest ``alpha`` with an all-zero network."""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import nnls
from sklearn.base import clone

from ._program import ConvexProgram


def alpha_max(X, y, *, estimator=None, sample_weight=None) -> float:
    """Smallest ``alpha`` at which a convex BN estimator returns a network with no neuron.

    For every ``alpha >= alpha_max(X, y, estimator=est)``, ``est`` (with the same
    other hyperparameters, ``random_state`` included, since the activation patterns
    are sampled) fits ``X, y`` with all hidden blocks zero: the network predicts its
    intercept only. Grids of ``alpha`` are naturally laid out as fractions of it,
    e.g. ``alpha_max(...) * np.logspace(-4, 0, 10)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data, as the estimator would be fitted on them.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets (regression) or class labels (classification).
    estimator : ConvexBNRegressor or ConvexBNClassifier, default=None
        The estimator whose program is meant (its ``alpha`` is ignored; it is not
        fitted or modified). ``None`` means ``ConvexBNRegressor()``.
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

    one nonnegative least-squares problem of size ``(n_columns, n_samples)`` per block
    (blocks sharing a pattern and an output but not a sign are two different
    problems). Where the estimator uses the closed form (squared loss, full row rank,
    every pattern), the same condition reduces to the largest root mean square of the
    positive and negative parts of the residual ``Y - b_0``. This costs far less than a fit, but grows with ``n_patterns`` times
    the number of outputs. The value is exact for the program; a solver stops
    within its tolerance, so just above ``alpha_max`` a fitted network may keep a few
    neurons of negligible weight (the first-order solver can also use activation
    patterns outside the sampled ones within ``tol``).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_convexbn import ConvexBNRegressor, alpha_max
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 3))
    >>> y = np.maximum(X[:, 0], 0) - X[:, 1]
    >>> est = ConvexBNRegressor(n_patterns=20, random_state=0)
    >>> a = alpha_max(X, y, estimator=est)
    >>> est.set_params(alpha=1.01 * a).fit(X, y).n_neurons_
    0
    >>> est.set_params(alpha=0.5 * a).fit(X, y).n_neurons_ > 0
    True
    """
    from ._estimators._convex import ConvexBNRegressor, _ConvexBNBase

    if estimator is None:
        estimator = ConvexBNRegressor()
    if not isinstance(estimator, _ConvexBNBase):
        raise TypeError(
            "alpha_max needs a ConvexBNRegressor or a ConvexBNClassifier as estimator; "
            f"got {type(estimator).__name__}."
        )
    estimator = clone(estimator)
    estimator._validate_params()
    program, solver, _ = estimator._program_and_solver(X, y, sample_weight)
    return solver.alpha_max(program)


def _gradients_at_zero(program: ConvexProgram) -> np.ndarray:
    """``sigma_b Z^T D_p(b) G_c(b)`` of every block (n_columns, n_blocks) at ``u = 0``."""
    Y = torch.as_tensor(program.targets, dtype=torch.float64)
    c = torch.as_tensor(program.row_coefficients, dtype=torch.float64)
    zero = torch.zeros_like(Y)
    b = torch.zeros(program.n_outputs, dtype=torch.float64)
    if program.fit_intercept:
        b = program.loss.optimal_intercept(zero, Y, c, b)
    G = (c[:, None] * program.loss.row_gradients(zero + b, Y)).numpy()
    pattern, sign, output = program.block_layout()
    return sign * (program.Z.T @ (program.patterns[:, pattern] * G[:, output]))


def _threshold(program: ConvexProgram, pattern: int, gradient: np.ndarray) -> float:
    """``min_{lambda >= 0} ||gradient - A_p^T lambda||`` (one NNLS)."""
    cone_T = ((2.0 * program.patterns[:, pattern] - 1.0)[:, None] * program.Z).T
    return float(nnls(cone_T, gradient, maxiter=50 * program.n_samples)[1])


def block_thresholds(program: ConvexProgram) -> np.ndarray:
    """Per block, the smallest ``alpha`` keeping that block at zero (see :func:`alpha_max`)."""
    gradients = _gradients_at_zero(program)
    pattern, _, _ = program.block_layout()
    return np.array([_threshold(program, pattern[k], gradients[:, k])
                     for k in range(program.n_blocks)])


def largest_block_threshold(program: ConvexProgram) -> float:
    """``max`` of :func:`block_thresholds`, solving only the NNLS problems that can matter.

    A block's threshold is at most ``||gradient_b||`` (take ``lambda = 0``): blocks
    are visited by decreasing norm, and the search ends at the first whose norm is
    not above the largest threshold found.
    """
    gradients = _gradients_at_zero(program)
    pattern, _, _ = program.block_layout()
    norms = np.linalg.norm(gradients, axis=0)
    best = 0.0
    for k in np.argsort(-norms, kind="stable"):
        if norms[k] <= best:
            break
        best = max(best, _threshold(program, pattern[k], gradients[:, k]))
    return best


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
    ``X``), so the two numbers compare the same function. The minimum is over
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
    from ._estimators._convex import ConvexBNClassifier, ConvexBNRegressor

    classifier = hasattr(model, "classes_")
    convex = (ConvexBNClassifier(loss=model.loss, class_weight=model.class_weight)
              if classifier else ConvexBNRegressor())
    convex.set_params(alpha=model.alpha, fit_intercept=model.fit_intercept,
                      n_components=model.n_components, spectral_power=model.spectral_power,
                      n_patterns="all", solver="working_set", tol=1e-9)
    convex.fit(X, y, sample_weight=sample_weight)
    program, _, _ = clone(convex)._program_and_solver(X, y, sample_weight)
    J = model._network().objective(program.rows, program.targets, program.sample_weight,
                                   program.loss, float(model.alpha), program.penalty)
    return (J - convex.objective_) / abs(convex.objective_), float(convex.objective_)
