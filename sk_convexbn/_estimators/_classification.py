"""Classification on top of the BN network: label encoding, decisions and probabilities.

Shared by the convex and the gradient-descent classifiers. Binary problems use one
output (a logit for ``log_loss``, a +-1 target for ``squared_error``); multi-class
problems use one output per class (softmax cross-entropy, or one-hot targets).
"""

from __future__ import annotations

import functools
from types import MethodType

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ._base import check_positive_sample_weight


class _needs_log_loss:
    """Decorator: a method that exists only on classifiers with ``loss='log_loss'``.

    Like :func:`sklearn.utils.metaestimators.available_if` (``hasattr`` is False
    otherwise, so meta-estimators see no probabilities), but the ``AttributeError``
    itself says which loss provides the method.
    """

    def __init__(self, method):
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.method
        if obj.loss != "log_loss":
            raise AttributeError(
                f"{type(obj).__name__}.{self.method.__name__} is available with "
                f"loss='log_loss' only: squared_error fits scores, not probabilities "
                f"(this estimator has loss={obj.loss!r})"
            )
        return MethodType(self.method, obj)


class BNClassifierMixin:
    """Label handling of the BN classifiers (needs ``loss`` and ``class_weight``)."""

    def _validate_fit_data(self, X, y, sample_weight):
        """Validated ``X``, encoded targets (sets ``classes_``), weights and loss name."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32],
                             ensure_min_samples=2)
        sample_weight = check_positive_sample_weight(sample_weight, X)
        Y, sample_weight = self._encode_targets(y, sample_weight)
        return X, Y, sample_weight, self.loss

    def _encode_targets(self, y, sample_weight):
        """Set ``classes_``; return encoded targets (n, n_outputs) and row weights.

        ``class_weight`` multiplies ``sample_weight`` (weights act like repeated rows).
        """
        check_classification_targets(y)
        self.classes_, indices = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "a classifier needs samples of at least 2 classes in the data; "
                f"got 1 class ({np.asarray(self.classes_[0]).tolist()!r})."
            )
        if len(self.classes_) == 2:
            positive = (indices == 1).astype(np.float64)
            Y = positive if self.loss == "log_loss" else 2.0 * positive - 1.0
            Y = Y[:, None]
        else:
            Y = np.eye(len(self.classes_))[indices]
        if self.class_weight is not None:
            class_weights = compute_sample_weight(self.class_weight, y)
            sample_weight = class_weights if sample_weight is None else sample_weight * class_weights
        return Y, sample_weight

    def decision_function(self, X):
        """Network outputs: logits (``log_loss``) or regression outputs (``squared_error``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) for two classes (positive for ``classes_[1]``),
        else (n_samples, n_classes).
        """
        F = self._forward(X)
        return F[:, 0] if F.shape[1] == 1 else F

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        F = self.decision_function(X)
        indices = (F > 0).astype(int) if F.ndim == 1 else np.argmax(F, axis=1)
        return self.classes_[indices]

    @_needs_log_loss
    def predict_proba(self, X):
        """Class probabilities (``loss='log_loss'`` only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        F = self.decision_function(X)
        if F.ndim == 1:
            p = expit(F)
            return np.column_stack([1.0 - p, p])
        return softmax(F, axis=1)

    @_needs_log_loss
    def predict_log_proba(self, X):
        """Logarithm of the class probabilities (``loss='log_loss'`` only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        F = self.decision_function(X)
        if F.ndim == 1:
            return np.column_stack([log_expit(-F), log_expit(F)])
        return log_softmax(F, axis=1)
