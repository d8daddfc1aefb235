"""Weighted batch-normalization statistics, shared by NumPy and torch code."""

from __future__ import annotations

import numpy as np
import torch


def weighted_moments(H, c, floor: float = 0.0):
    """Weighted mean and biased standard deviation of each column of ``H``.

    Works on NumPy arrays and torch tensors alike (only ``@``, ``-`` and ``** 0.5``
    are used), so the convex and the gradient-descent paths compute BN statistics
    with one formula.

    Parameters
    ----------
    H : ndarray or Tensor of shape (n_samples, n_columns)
        Pre-activations.
    c : ndarray or Tensor of shape (n_samples,)
        Row weights summing to one (``w / sum(w)``).
    floor : float, default=0.0
        Lower bound on the variance before the square root (keeps the gradient of a
        constant column finite in torch).

    Returns
    -------
    mean, std : arrays of shape (n_columns,)

    Notes
    -----
    ``mean = sum_i c_i H_i`` and ``std = sqrt(max(sum_i c_i (H_i - mean)^2, floor))``: the
    statistics of ``torch.nn.BatchNorm1d`` in training mode (biased variance), with
    weights acting like repeated rows.
    """
    mean = c @ H
    var = c @ (H - mean) ** 2
    if floor:
        var = var.clamp(min=floor) if isinstance(var, torch.Tensor) else np.maximum(var, floor)
    return mean, var**0.5


def row_coefficients(sample_weight, n_samples: int):
    """``c = w / sum(w)`` as a NumPy array (uniform ``1/n`` when ``sample_weight`` is None)."""
    w = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    return w / w.sum()
