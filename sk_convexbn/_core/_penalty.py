"""The penalty of J: weight decay on the BN parameters and output weights, with spectral weighting.

Spectral weighting (``spectral_power = tau``) multiplies ``gamma_j^2`` by
``kappa_j = ||Lambda^-1 q_j||^2 / ||q_j||^2``, where ``q_j = S V^T w_j`` is the
whitened direction of neuron ``j`` and ``Lambda = diag((sigma_k / sigma_1)^tau)``.
The convex program encodes it in the columns of ``Z``; the network's objective and
gradient descent evaluate it here, with one formula for NumPy and torch.
"""

from __future__ import annotations

import numpy as np
import torch

from ._whitening import Whitening


class SpectralPenalty:
    """``alpha/2 * sum_j (kappa_j gamma_j^2 + beta_j^2 + ||v_j||^2)``.

    Build it with :meth:`from_whitening`; without spectral weighting every
    ``kappa_j`` is 1.

    Parameters
    ----------
    whitened_directions : ndarray of shape (k, n_features) or None
        ``S V^T``: maps a first-layer weight vector to its whitened direction ``q``.
        ``None`` means no spectral weighting.
    inverse_weights : ndarray of shape (k,) or None
        ``1 / Lambda``.
    """

    def __init__(self, whitened_directions=None, inverse_weights=None):
        self.whitened_directions = whitened_directions
        self.inverse_weights = inverse_weights
        self._torch_cache: dict = {}

    @classmethod
    def from_whitening(cls, whitening: Whitening) -> "SpectralPenalty":
        """The penalty that matches a whitening's spectral weights."""
        if np.all(whitening.spectral_weights == 1.0):
            return cls()
        directions = whitening.components.T * whitening.singular_values[:, None]
        return cls(directions, 1.0 / whitening.spectral_weights)

    @property
    def weighted(self) -> bool:
        return self.whitened_directions is not None

    def _matrices(self, W):
        if not isinstance(W, torch.Tensor):
            return self.whitened_directions, self.inverse_weights[:, None]
        key = (W.dtype, W.device)
        if key not in self._torch_cache:
            as_t = lambda a: torch.as_tensor(a, dtype=W.dtype, device=W.device)  # noqa: E731
            self._torch_cache[key] = (as_t(self.whitened_directions),
                                      as_t(self.inverse_weights[:, None]))
        return self._torch_cache[key]

    def scale_factors(self, W):
        """``kappa_j`` for the columns of the first-layer weights ``W`` (NumPy or torch).

        Parameters
        ----------
        W : ndarray or Tensor of shape (n_features, n_neurons)

        Returns
        -------
        ndarray or Tensor of shape (n_neurons,)
            Differentiable in ``W`` for torch tensors.
        """
        if not self.weighted:
            if isinstance(W, torch.Tensor):
                return torch.ones(W.shape[1], dtype=W.dtype, device=W.device)
            return np.ones(W.shape[1])
        directions, inverse = self._matrices(W)
        q = directions @ W
        plain = (q**2).sum(0)
        return ((q * inverse) ** 2).sum(0) / (plain + (plain == 0))

    def value(self, W, gamma, beta, V, alpha: float):
        """``alpha/2 * sum_j (kappa_j gamma_j^2 + beta_j^2 + ||v_j||^2)`` (NumPy or torch)."""
        return 0.5 * alpha * ((self.scale_factors(W) * gamma**2).sum() + (beta**2).sum()
                              + (V**2).sum())

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_torch_cache"] = {}
        return state
