"""Target handling of the BN regressors (convex and gradient-descent alike)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import validate_data

from ._base import check_positive_sample_weight


class BNRegressorMixin:
    """Validation of ``(X, y)`` for regression, and ``predict`` with ``y``'s shape."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_fit_data(self, X, y, sample_weight):
        """Validated ``X``, targets as (n_samples, n_outputs), weights and loss name.

        Remembers whether ``y`` was one-dimensional, so that ``predict`` answers in
        the same shape.
        """
        X, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True,
            dtype=[np.float64, np.float32], ensure_min_samples=2,
        )
        sample_weight = check_positive_sample_weight(sample_weight, X)
        y = np.asarray(y, dtype=np.float64)
        self._y_ndim = y.ndim
        return X, y.reshape(len(y), -1), sample_weight, "squared_error"

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
