"""The problem gradient descent solves: J on prepared rows, as the convex program is.

:func:`make_gd_problem` is to gradient descent what
:func:`sk_convexbn._program.make_program` is to the convex solvers: validated
arrays in, a :class:`GDProblem` out (training rows, weights, whitening, penalty,
loss, architecture, held-out rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from .._core._losses import Loss, make_loss
from .._core._network import BNNetwork
from .._core._penalty import SpectralPenalty
from .._core._rows import TrainingRows, drop_zero_weight_rows, prepare_rows


@dataclass(frozen=True)
class GDProblem:
    """J on the training rows, and the network gradient descent minimizes it over.

    Build it with :func:`make_gd_problem`.

    Attributes
    ----------
    rows : TrainingRows
        The training rows (without the held-out ones), encoded targets, weights and
        whitening.
    loss : Loss
    alpha : float
    fit_intercept : bool
        Whether the output bias is trained (else it stays at its start value).
    penalty : SpectralPenalty
        The penalty of J (spectral weighting from the whitening).
    n_neurons : int
        Width of the hidden layer.
    basis : ndarray of shape (n_features, k) or None
        The principal directions the first-layer weights are restricted to
        (``n_components``), or None.
    output_mask : ndarray of shape (n_neurons, n_outputs) or None
        Zeros and ones: the outputs each neuron feeds (None: all of them).
    start : BNNetwork or None
        The network to start from (None: a random start).
    validation : tuple (X, targets) or None
        Held-out rows scored after every epoch (early stopping).
    scoring : {"r2", "accuracy"}
        How held-out rows are scored.
    """

    rows: TrainingRows
    loss: Loss
    alpha: float
    fit_intercept: bool
    penalty: SpectralPenalty
    n_neurons: int
    basis: np.ndarray | None = None
    output_mask: np.ndarray | None = None
    start: BNNetwork | None = None
    validation: tuple[np.ndarray, np.ndarray] | None = None
    scoring: str = "r2"

    @property
    def n_features(self) -> int:
        return self.rows.X.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.rows.targets.shape[1]


def _hold_out(X, Y, sample_weight, fraction, by_class, random_state):
    """Split off ``fraction`` of the rows (stratified by class when ``by_class``)."""
    weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    # classifiers: the class of each row, read off its encoded target
    stratify = (Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]) if by_class else None
    X_fit, X_val, Y_fit, Y_val, w_fit, _ = train_test_split(
        X, Y, weights, test_size=fraction, random_state=random_state, stratify=stratify)
    return X_fit, Y_fit, None if sample_weight is None else w_fit, (X_val, Y_val)


def _output_mask(neuron_outputs: str, n_neurons: int, n_outputs: int,
                 start: BNNetwork | None) -> np.ndarray | None:
    """``"one"``: neuron j feeds output j mod n_outputs (from a network: its largest weight)."""
    if neuron_outputs == "all":
        return None
    owner = (np.abs(start.output_weights).argmax(axis=1) if start is not None
             else np.arange(n_neurons) % n_outputs)
    return np.eye(n_outputs)[owner]


def make_gd_problem(
    X: np.ndarray,
    targets: np.ndarray,
    sample_weight: np.ndarray | None,
    *,
    loss: str,
    alpha: float,
    fit_intercept: bool = True,
    n_components: int | None = None,
    spectral_power: float = 0.0,
    n_neurons: int | None = 100,
    neuron_outputs: str = "all",
    start: BNNetwork | None = None,
    validation_fraction: float | None = None,
    scoring: str = "r2",
    random_state=None,
) -> GDProblem:
    """Hold out validation rows, whiten the others and assemble the problem.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated rows.
    targets : ndarray of shape (n_samples, n_outputs)
        Encoded targets.
    sample_weight : ndarray of shape (n_samples,) or None
        Nonnegative weights (rows of weight zero take no part).
    loss : {"squared_error", "log_loss"}
    alpha : float
    fit_intercept : bool
    n_components : int or None
        Restrict the first layer to the top ``n_components`` principal directions
        of the training rows.
    spectral_power : float
        Spectral weighting of the penalty.
    n_neurons : int or None
        Width of the hidden layer; ignored (may be None) with ``start``, whose
        width it takes.
    neuron_outputs : {"all", "one"}
        ``"one"``: each neuron feeds one output (the convex program's architecture).
    start : BNNetwork or None
        The network to start from.
    validation_fraction : float or None
        Fraction of the rows held out for early stopping (None: none).
    scoring : {"r2", "accuracy"}
        Score of the held-out rows; ``"accuracy"`` also stratifies the split by class.
    random_state : int, RandomState instance or None
        Seeds the split.

    Returns
    -------
    GDProblem

    Raises
    ------
    ValueError
        If ``X`` has no variance on the weighted training rows, ``n_components``
        exceeds their rank, or ``start`` does not fit the data's shape.
    """
    X, Y, sample_weight = drop_zero_weight_rows(
        np.asarray(X, dtype=np.float64), np.asarray(targets, dtype=np.float64), sample_weight)
    validation = None
    if validation_fraction is not None:
        X, Y, sample_weight, validation = _hold_out(
            X, Y, sample_weight, validation_fraction, scoring == "accuracy", random_state)
    rows = prepare_rows(X, Y, sample_weight, n_components=n_components,
                        spectral_power=spectral_power, merge=False)
    n_outputs = Y.shape[1]
    if start is not None:
        n_neurons = start.n_neurons
        n_in, n_out = start.hidden_weights.shape[0], start.output_weights.shape[1]
        if n_in != X.shape[1] or n_out != n_outputs:
            raise ValueError(
                f"the network to start from has {n_in} inputs and {n_out} outputs; "
                f"this data needs {X.shape[1]} and {n_outputs}."
            )
    return GDProblem(
        rows=rows, loss=make_loss(loss, n_outputs), alpha=float(alpha),
        fit_intercept=bool(fit_intercept),
        penalty=SpectralPenalty.from_whitening(rows.whitening), n_neurons=int(n_neurons),
        basis=rows.whitening.components if n_components is not None else None,
        output_mask=_output_mask(neuron_outputs, n_neurons, n_outputs, start),
        start=start, validation=validation, scoring=scoring,
    )
