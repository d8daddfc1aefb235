"""Activation patterns (hyperplane arrangements) of the whitened data."""

from __future__ import annotations

import numpy as np


def sample_patterns(
    Z: np.ndarray, n_patterns: int, random_state: np.random.RandomState
) -> np.ndarray:
    """Sample distinct activation patterns ``1[Z g >= 0]`` with Gaussian gates ``g``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_columns)
        Whitened data (last column all ones, so each gate includes a bias).
    n_patterns : int
        Number of gates to draw. Duplicate patterns and the all-zero pattern
        (a neuron that never fires) are dropped, so at most ``n_patterns`` remain.
    random_state : numpy.random.RandomState
        Local generator; the global NumPy state is never touched.

    Returns
    -------
    ndarray of bool, shape (n_samples, n_kept)
        One column per distinct pattern, in the order the gates were drawn.

    Notes
    -----
    The patterns are the diagonals of ``D_i = diag(1[Z g_i >= 0])``. Since the last
    column of ``Z`` is constant, they are the sign patterns of affine hyperplanes on
    the whitened rows, hence also on the raw rows.
    """
    gates = random_state.standard_normal((Z.shape[1], n_patterns))
    masks = Z @ gates >= 0
    return unique_patterns(masks)


def unique_patterns(masks: np.ndarray) -> np.ndarray:
    """Distinct non-empty columns of a boolean matrix, in order of first appearance.

    Parameters
    ----------
    masks : ndarray of bool, shape (n_samples, n_candidates)

    Returns
    -------
    ndarray of bool, shape (n_samples, n_kept)
    """
    masks = np.asarray(masks, dtype=bool)
    nonempty = masks.any(axis=0)
    masks = masks[:, nonempty]
    packed = np.packbits(masks, axis=0).T  # one byte string per column
    _, first = np.unique(packed, axis=0, return_index=True)
    return np.ascontiguousarray(masks[:, np.sort(first)])
