"""The training rows as every fit sees them: positive weights, merged repeats, whitening.

The convex program (:func:`sk_convexbn._program.make_program`) and gradient descent
(:func:`sk_convexbn._training.make_gd_problem`) both start from
:func:`prepare_rows`, so rows of zero weight, the whitening and the error for data
without variance are handled once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._statistics import row_coefficients
from ._whitening import Whitening


def drop_zero_weight_rows(
    X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows of positive weight (all of them when ``sample_weight`` is None)."""
    if sample_weight is None:
        return X, Y, None
    positive = sample_weight > 0
    return X[positive], Y[positive], sample_weight[positive]


def merge_repeated_rows(
    X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Drop rows of zero weight and merge identical ``(x, y)`` rows into one weighted row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    X, Y : the distinct rows, in a canonical (sorted) order when any were merged
    sample_weight : ndarray or None
        The summed weights; None when there were no weights and no repeated rows.

    Notes
    -----
    Weights act like repeated rows in every part of J (loss, BN statistics, SVD), so
    this changes nothing mathematically. It makes a weighted data set and the data
    set with its rows repeated the *same* program, row for row, whatever the order
    of the rows; the solver and the model are then the same too.
    """
    X, Y, sample_weight = drop_zero_weight_rows(X, Y, sample_weight)
    rows = np.ascontiguousarray(np.column_stack([X, Y]))
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    unique_keys, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if len(unique_keys) == len(keys) and sample_weight is None:
        return X, Y, None
    weights = np.ones(len(keys)) if sample_weight is None else sample_weight
    merged = np.bincount(inverse.ravel(), weights=weights, minlength=len(unique_keys))
    return X[first], Y[first], merged


@dataclass(frozen=True)
class TrainingRows:
    """Rows of positive weight, their targets and the whitening fitted on them.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
    targets : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
        Positive weights; None means every row weighs 1.
    whitening : Whitening
        Fitted on ``X`` with ``sample_weight``; it has at least one direction.
    """

    X: np.ndarray
    targets: np.ndarray
    sample_weight: np.ndarray | None
    whitening: Whitening

    @property
    def weights(self) -> np.ndarray:
        """The row weights ``w`` (ones without ``sample_weight``)."""
        return np.ones(len(self.X)) if self.sample_weight is None else self.sample_weight

    @property
    def coefficients(self) -> np.ndarray:
        """``c = w / sum(w)``, the weight of each row in J."""
        return row_coefficients(self.sample_weight, len(self.X))


def prepare_rows(
    X: np.ndarray,
    Y: np.ndarray,
    sample_weight: np.ndarray | None,
    *,
    n_components: int | None = None,
    spectral_power: float = 0.0,
    merge: bool = True,
) -> TrainingRows:
    """Drop rows of zero weight, merge repeated rows if asked, and whiten.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated rows (converted to float64).
    Y : ndarray of shape (n_samples, n_outputs)
        Encoded targets.
    sample_weight : ndarray of shape (n_samples,) or None
        Nonnegative weights.
    n_components : int or None
        Truncation of the whitened basis (None keeps every direction of variance).
    spectral_power : float
        Spectral weighting of the penalty.
    merge : bool, default=True
        Merge identical ``(x, y)`` rows into one weighted row
        (:func:`merge_repeated_rows`), as the convex program does; gradient descent
        keeps its rows as they are (their order seeds its mini-batches and split).

    Returns
    -------
    TrainingRows

    Raises
    ------
    ValueError
        If ``X`` has no variance on the weighted rows, or ``n_components`` exceeds
        the rank of the centred data.
    """
    select = merge_repeated_rows if merge else drop_zero_weight_rows
    X, Y, sample_weight = select(np.asarray(X, dtype=np.float64),
                                 np.asarray(Y, dtype=np.float64), sample_weight)
    whitening = Whitening.fit(X, sample_weight, n_components=n_components,
                              spectral_power=spectral_power)
    if whitening.n_directions == 0:
        raise ValueError(
            "X has no variance (every feature is constant on the weighted training "
            "rows): a batch-normalized network cannot use it."
        )
    return TrainingRows(X, Y, sample_weight, whitening)
