"""Estimators that train the BN network by gradient descent (PyTorch)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from .._core._device import resolve_device
from .._core._network import BNNetwork
from .._core._rows import drop_zero_weight_rows
from .._training import GDConfig, fit_gd_network
from ._base import BNNetworkMixin, unfitted_on_failure
from ._classification import BNClassifierMixin
from ._progress import CallbackSupportMixin, FitProgress
from ._regression import BNRegressorMixin


def _width(hidden_layer_sizes) -> int:
    sizes = (hidden_layer_sizes,) if isinstance(hidden_layer_sizes, Integral) else tuple(
        hidden_layer_sizes)
    if len(sizes) != 1 or not isinstance(sizes[0], Integral) or sizes[0] < 1:
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a 1-tuple such as (100,): the "
            f"network has exactly one hidden layer; got {hidden_layer_sizes!r}."
        )
    return int(sizes[0])


class _GDBNBase(CallbackSupportMixin, BNNetworkMixin, BaseEstimator):
    """Shared parameters and fitting path of the gradient-descent estimators."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "spectral_power": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"adam", "sgd", "lbfgs"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "neuron_outputs": [StrOptions({"all", "one"})],
        "warm_start": ["boolean"],
        "init": [None, BNNetworkMixin],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        alpha=1e-2,
        fit_intercept=True,
        n_components=None,
        spectral_power=0.0,
        solver="adam",
        learning_rate_init=1e-2,
        momentum=0.9,
        batch_size=None,
        max_iter=500,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        neuron_outputs="all",
        warm_start=False,
        init=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.neuron_outputs = neuron_outputs
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_components = n_components
        self.spectral_power = spectral_power
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.init = init
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _start_network(self) -> BNNetwork | None:
        """The network to start from: the previous fit's, ``init``'s, or None (random)."""
        if self.warm_start and hasattr(self, "hidden_weights_"):
            return self._network()
        if self.init is None:
            return None
        if not hasattr(self.init, "hidden_weights_"):
            raise ValueError("init must be a fitted estimator of sk_convexbn.")
        return self.init._network()

    def _fit_gd(self, X, Y, sample_weight, loss_name):
        """Train on validated ``X`` and encoded targets ``Y`` (n_samples, n_outputs)."""
        resolve_device(self.device)  # fail early on an unavailable device
        X, Y, sample_weight = drop_zero_weight_rows(X, Y, sample_weight)
        progress = FitProgress.start(self, X, Y, sample_weight, max_subtasks=self.max_iter)
        start = self._start_network()
        config = GDConfig(
            solver=self.solver, learning_rate_init=self.learning_rate_init,
            momentum=self.momentum, batch_size=self.batch_size, max_iter=self.max_iter,
            tol=self.tol, n_iter_no_change=self.n_iter_no_change,
            early_stopping=self.early_stopping, verbose=self.verbose,
            progress=progress.reporter("epoch"),
        )
        fit = fit_gd_network(
            X, Y, sample_weight, loss=loss_name, alpha=float(self.alpha), config=config,
            random_state=self.random_state, device=self.device,
            fit_intercept=self.fit_intercept, n_components=self.n_components,
            spectral_power=self.spectral_power,
            n_neurons=None if start is not None else _width(self.hidden_layer_sizes),
            neuron_outputs=self.neuron_outputs, start=start,
            validation_fraction=self.validation_fraction if self.early_stopping else None,
            scoring=self._scoring,
        )
        self._store_network(fit.network)
        self.objective_ = fit.objective
        self.loss_curve_ = fit.loss_curve
        self.n_iter_ = fit.n_iter
        self.n_components_ = fit.n_components
        if self.early_stopping:
            self.validation_scores_ = fit.validation_scores
            self.best_validation_score_ = max(fit.validation_scores)
        progress.end(objective=self.objective_)
        return self


_SHARED_PARAMETERS_DOC = """
    hidden_layer_sizes : int or tuple of one int, default=(100,)
        Width of the (single) hidden layer, named as in
        :class:`~sklearn.neural_network.MLPClassifier`.
    alpha : float, default=ALPHA_DEFAULT
        Weight decay on the BN scales, BN shifts and output weights (the ``alpha``
        of J, with the same default as the convex estimator's).
    fit_intercept : bool, default=True
        Whether the output layer has a (non-decayed) bias.
    n_components : int or None, default=None
        Restrict the first-layer weights to the top ``n_components`` principal
        directions of the training data (trained as ``W = V_k C``).
    spectral_power : float, default=0.0
        Penalize BN directions of low variance more, as the convex estimators do:
        :math:`\\gamma^2` is weighted by :math:`\\|\\Lambda^{-1} q\\|^2`. 0 (the plain BN objective)
        here, 1 on the convex estimators: set it explicitly to compare the two at
        equal J.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        ``"sgd"`` uses Nesterov momentum ``momentum``; ``"lbfgs"`` is full-batch
        L-BFGS with a strong-Wolfe line search (one epoch = one ``step``).
    learning_rate_init : float, default=1e-2
        Step size of ``"adam"`` and ``"sgd"`` (MLP's default is 1e-3: see the user
        guide's table of defaults), initial step of ``"lbfgs"``.
    momentum : float, default=0.9
        Momentum of ``"sgd"``.
    batch_size : int or None, default=None
        ``None`` trains on the full batch: BN statistics are those of the training
        set, the setting in which the network and the convex program coincide. With
        mini-batches BN uses batch statistics during training; the stored
        ``bn_mean_`` and ``bn_std_`` are recomputed on the whole training set at the
        end (not running averages), so ``objective_`` and predictions use them.
    max_iter : int, default=500
        Maximum number of epochs (full-batch epochs are single steps: see the user
        guide's table of defaults).
    tol : float, default=1e-4
        Improvement of the epoch loss (or validation score) below which an epoch
        counts as no change, as in :class:`~sklearn.neural_network.MLPClassifier`.
        J is compared with a certified convex optimum only to about this
        precision: pass a smaller ``tol`` (and a larger ``max_iter``) for that.
    n_iter_no_change : int, default=10
        Epochs without change before stopping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows, stop on their score
        and restore the best epoch's weights.
    validation_fraction : float, default=0.1
        Fraction of the training rows held out with ``early_stopping`` (stratified
        for the classifier).
    neuron_outputs : {"all", "one"}, default="all"
        ``"all"``: every hidden neuron feeds every output (the usual network).
        ``"one"``: neuron ``j`` feeds output ``j mod n_outputs`` only, the
        architecture of the convex estimators (for one output the two coincide);
        with it, ``ConvexBN*(init=this)`` is guaranteed a J no higher than this
        network's.
    warm_start : bool, default=False
        Continue from the previous fit's weights.
    init : fitted estimator of sk_convexbn or None, default=None
        Start from that estimator's network (e.g. a convex solution to fine-tune);
        its width replaces ``hidden_layer_sizes``.
    device : {"cpu", "cuda", "cuda:N", "auto"}, default="cpu"
        Where training runs (float64 on the CPU, float32 on CUDA); fitted arrays
        are NumPy.
    random_state : int, RandomState instance or None, default=None
        Seeds initialization, batch shuffling and the validation split (a local
        torch.Generator; global states are untouched).
    verbose : int, default=0
        0: silent. 1: a line at the first epoch, every 100 epochs and the last, with J, the
        validation score with ``early_stopping``, and the elapsed time. ``>= 2``: a
        line per epoch.
"""

_SHARED_ATTRIBUTES_DOC = """
    hidden_weights_ : ndarray of shape (n_features, n_neurons)
        First-layer weights, rescaled to unit training standard deviation (BN
        makes the network invariant to that scale).
    bn_mean_, bn_std_, bn_scale_, bn_shift_ : ndarray of shape (n_neurons,)
        Training statistics of the pre-activations and BN scale and shift.
    output_weights_ : ndarray of shape (n_neurons, n_outputs)
        Second-layer weights (zero where ``neuron_outputs="one"`` cuts a link).
    intercept_ : ndarray of shape (n_outputs,)
        Output bias (zeros when ``fit_intercept=False``).
    n_neurons_ : int
        Number of hidden neurons.
    objective_ : float
        J on the training rows (all of them, or the non-validation ones) at the
        returned network.
    loss_curve_ : list of float
        Mean objective over the batches of each epoch.
    n_iter_ : int
        Number of epochs run.
    n_components_ : int
        Number of principal directions of the centred training data the first
        layer can use (``n_components``, or the numerical rank).
    validation_scores_ : list of float
        With ``early_stopping``: the score of the held-out rows after each epoch.
    best_validation_score_ : float
        With ``early_stopping``: the best of ``validation_scores_``, whose epoch's
        weights are returned.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape ``(n_features_in_,)``
        Defined only when ``X`` has feature names that are all strings.
"""


class GDBNRegressor(BNRegressorMixin, RegressorMixin, _GDBNBase):
    __doc__ = f"""Batch-normalized ReLU network regressor trained by gradient descent.

    The usual non-convex ``Linear -> BatchNorm1d -> ReLU -> Linear`` network,
    trained in PyTorch on the same objective J as :class:`ConvexBNRegressor`, so
    that what gradient descent finds can be compared with the certified optimum.

    Parameters
    ----------{_SHARED_PARAMETERS_DOC.replace("ALPHA_DEFAULT", "1e-2")}
    Attributes
    ----------{_SHARED_ATTRIBUTES_DOC}
    See Also
    --------
    ConvexBNRegressor : the same network trained by convex optimization.

    Notes
    -----
    .. math::

        J = \\frac{{1}}{{N}}\\sum_i w_i \\tfrac12\\|f(x_i) - y_i\\|^2
          + \\frac{{\\alpha}}{{2}}\\sum_j \\big(\\gamma_j^2 + \\beta_j^2 + \\|v_j\\|^2\\big)

    As :class:`ConvexBNRegressor`, ``fit`` trains on the standardized target
    :math:`(y - m) / s` and stores the network of ``y``: ``alpha``, ``objective_`` and
    ``loss_curve_`` are those of the standardized target, and predictions and
    :meth:`to_torch` are in the units of ``y`` (see :class:`ConvexBNRegressor`, Notes).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_convexbn import GDBNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 2))
    >>> y = np.abs(X[:, 0])
    >>> model = GDBNRegressor(hidden_layer_sizes=20, max_iter=300, tol=1e-4,
    ...                       random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_failure
    def fit(self, X, y, sample_weight=None):
        """Train the network by gradient descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Nonnegative weights (BN statistics are weighted too).

        Returns
        -------
        self : GDBNRegressor
        """
        return self._fit_gd(*self._validate_fit_data(X, y, sample_weight))

    _scoring = "r2"  # of the held-out rows with early_stopping


class GDBNClassifier(BNClassifierMixin, ClassifierMixin, _GDBNBase):
    __doc__ = f"""Batch-normalized ReLU network classifier trained by gradient descent.

    The usual non-convex ``Linear -> BatchNorm1d -> ReLU -> Linear`` network,
    trained in PyTorch on the same objective J as :class:`ConvexBNClassifier`.

    Parameters
    ----------
    loss : {{"log_loss", "squared_error"}}, default="log_loss"
        ``"log_loss"``: logistic (two classes) or softmax cross-entropy;
        ``"squared_error"``: squared error on +-1 or one-hot targets (no
        ``predict_proba``), as in :class:`ConvexBNClassifier`.
    class_weight : dict, "balanced" or None, default=None
        Multiplies ``sample_weight``, as in scikit-learn's classifiers.{_SHARED_PARAMETERS_DOC.replace("ALPHA_DEFAULT", "1e-3")}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.{_SHARED_ATTRIBUTES_DOC}
    See Also
    --------
    ConvexBNClassifier : the same network trained by convex optimization.
    sklearn.neural_network.MLPClassifier : a ReLU network without BN.

    Notes
    -----
    .. math::

        J = \\frac{{1}}{{N}}\\sum_i w_i\\, \\ell(f(x_i), y_i)
          + \\frac{{\\alpha}}{{2}}\\sum_j \\big(\\gamma_j^2 + \\beta_j^2 + \\|v_j\\|^2\\big)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_convexbn import GDBNClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = GDBNClassifier(hidden_layer_sizes=20, max_iter=500, tol=1e-4,
    ...                      random_state=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **_GDBNBase._parameter_constraints,
        "loss": [StrOptions({"log_loss", "squared_error"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        loss="log_loss",
        hidden_layer_sizes=(100,),
        alpha=1e-3,
        fit_intercept=True,
        n_components=None,
        spectral_power=0.0,
        class_weight=None,
        solver="adam",
        learning_rate_init=1e-2,
        momentum=0.9,
        batch_size=None,
        max_iter=500,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        neuron_outputs="all",
        warm_start=False,
        init=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, alpha=alpha, fit_intercept=fit_intercept,
            n_components=n_components, spectral_power=spectral_power, solver=solver,
            learning_rate_init=learning_rate_init, momentum=momentum, batch_size=batch_size,
            max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            neuron_outputs=neuron_outputs, warm_start=warm_start, init=init, device=device, random_state=random_state,
            verbose=verbose,
        )
        self.loss = loss
        self.class_weight = class_weight

    _scoring = "accuracy"  # of the held-out rows (split by class) with early_stopping

    @_fit_context(prefer_skip_nested_validation=True)
    @unfitted_on_failure
    def fit(self, X, y, sample_weight=None):
        """Train the network by gradient descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GDBNClassifier
        """
        previous = self.classes_ if self.warm_start and hasattr(self, "classes_") else None
        X, Y, sample_weight, loss_name = self._validate_fit_data(X, y, sample_weight)
        if previous is not None and not np.array_equal(previous, self.classes_):
            raise ValueError(
                f"warm_start needs the same classes as the previous fit: {previous} "
                f"then {self.classes_}."
            )
        return self._fit_gd(X, Y, sample_weight, loss_name)
