"""Target handling of the BN regressors (convex and gradient-descent alike).

The regressors fit a standardized target and store the network of the user's target
(see :class:`BNRegressorMixin`), so that ``alpha`` means the same on any target scale.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.utils.validation import validate_data

from .._core._network import BNNetwork
from .._core._statistics import row_coefficients
from ._base import check_positive_sample_weight


def target_standardization(Y: np.ndarray, sample_weight: np.ndarray | None,
                           fit_intercept: bool) -> tuple[np.ndarray, float]:
    """Shift (per output) and scale (one for all outputs) that standardize ``Y``.

    With an intercept, the shift is the weighted mean of each output and the scale the
    root mean, over the outputs, of their weighted (biased) variances; without one, the
    shift is zero and the scale the weighted root mean square of ``Y``. A target whose
    spread is within the rounding error of its mean (a constant) has scale 1.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    fit_intercept : bool

    Returns
    -------
    shift : ndarray of shape (n_outputs,)
    scale : float
    """
    c = row_coefficients(sample_weight, len(Y))
    shift = c @ Y if fit_intercept else np.zeros(Y.shape[1])
    scale = float(np.sqrt(np.mean(c @ (Y - shift) ** 2)))
    # the rounding error of a mean of n values bounds the spread of a constant target
    if not scale > len(Y) * np.finfo(np.float64).eps * float(np.abs(shift).max(initial=0.0)):
        scale = 1.0
    return shift, scale


def rescale_network(network: BNNetwork, shift: np.ndarray, scale: float) -> BNNetwork:
    """The network whose outputs are ``scale * f + shift`` for ``network``'s ``f``.

    BN scales and shifts and output weights are all multiplied by ``sqrt(scale)`` (the
    ReLU is positively homogeneous), so their penalty is multiplied by ``scale``: a
    network optimal for J at ``alpha`` on a target ``(y - shift) / scale`` becomes one
    optimal at ``alpha * scale`` on ``y``, with J multiplied by ``scale**2``. Gates,
    hence activation patterns, are unchanged.
    """
    root = np.sqrt(scale)
    return replace(
        network,
        bn_scale=network.bn_scale * root,
        bn_shift=network.bn_shift * root,
        output_weights=network.output_weights * root,
        intercept=network.intercept * scale + shift,
    )


class BNRegressorMixin:
    """Validation of ``(X, y)`` for regression, and ``predict`` with ``y``'s shape.

    ``fit`` trains on the standardized target ``(y - shift) / scale`` (see
    :func:`target_standardization`) and stores the network mapped back to ``y``
    (:func:`rescale_network`): predictions, the exported network and ``to_torch`` are
    those of ``y``, while ``alpha``, ``objective_`` and the loss curves are those of the
    standardized problem. Networks that a fit starts from (``warm_start``, ``init`` of
    the gradient-descent regressor) are mapped to the standardized target first.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_fit_data(self, X, y, sample_weight):
        """Validated ``X``, standardized targets (n_samples, n_outputs), weights and loss.

        Remembers whether ``y`` was one-dimensional, so that ``predict`` answers in
        the same shape, and the standardization, so that the stored network is ``y``'s.
        """
        X, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True,
            dtype=[np.float64, np.float32], ensure_min_samples=2,
        )
        sample_weight = check_positive_sample_weight(sample_weight, X)
        y = np.asarray(y, dtype=np.float64)
        self._y_ndim = y.ndim
        Y = y.reshape(len(y), -1)
        self._target_shift, self._target_scale = target_standardization(
            Y, sample_weight, bool(self.fit_intercept))
        return X, (Y - self._target_shift) / self._target_scale, sample_weight, "squared_error"

    def _store_network(self, network: BNNetwork) -> None:
        """Store the network of the standardized target as the network of ``y``."""
        super()._store_network(rescale_network(network, self._target_shift,
                                               self._target_scale))

    def _standardized(self, network: BNNetwork) -> BNNetwork:
        """A network of ``y`` as the network of the standardized target (the inverse of
        the map applied when the network is stored), for the last validated ``y``."""
        return rescale_network(network, -self._target_shift / self._target_scale,
                               1.0 / self._target_scale)

    def _start_network(self) -> BNNetwork | None:
        """The start of a gradient-descent fit, in the standardized target's units."""
        network = super()._start_network()
        return None if network is None else self._standardized(network)

    def predict(self, X):
        """Predict with the fitted network (BN in eval mode, training statistics).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        F = self._forward(X)
        return F[:, 0] if self._y_ndim == 1 else F
