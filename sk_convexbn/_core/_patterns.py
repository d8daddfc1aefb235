"""Activation patterns (hyperplane arrangements) of the whitened data."""

from __future__ import annotations

import numpy as np


def sample_patterns(
    Z: np.ndarray,
    n_patterns: int,
    random_state: np.random.RandomState,
    *,
    return_gates: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
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
    return_gates : bool, default=False
        Also return the gate that produced each kept pattern.

    Returns
    -------
    patterns : ndarray of bool, shape (n_samples, n_kept)
        One column per distinct pattern, in the order the gates were drawn.
    gates : ndarray of shape (n_columns, n_kept)
        Only with ``return_gates=True``.

    Notes
    -----
    The patterns are the diagonals of ``D_i = diag(1[Z g_i >= 0])``. Since the last
    column of ``Z`` is constant, they are the sign patterns of affine hyperplanes on
    the whitened rows, hence also on the raw rows.
    """
    gates = random_state.standard_normal((Z.shape[1], n_patterns))
    masks = Z @ gates >= 0
    keep = unique_pattern_indices(masks)
    patterns = np.ascontiguousarray(masks[:, keep])
    return (patterns, gates[:, keep]) if return_gates else patterns


def unique_pattern_indices(masks: np.ndarray) -> np.ndarray:
    """Indices of the distinct non-empty columns of a boolean matrix, first occurrences.

    Parameters
    ----------
    masks : ndarray of bool, shape (n_samples, n_candidates)

    Returns
    -------
    ndarray of int, increasing
    """
    masks = np.asarray(masks, dtype=bool)
    candidates = np.flatnonzero(masks.any(axis=0))
    packed = np.packbits(masks[:, candidates], axis=0).T  # one byte string per column
    _, first = np.unique(packed, axis=0, return_index=True)
    return candidates[np.sort(first)]
