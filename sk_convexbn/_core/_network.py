"""The two-layer BN-ReLU network as NumPy arrays: forward pass, objective J, torch export.

Every estimator of the library ends its ``fit`` with a :class:`BNNetwork`
(the convex ones through :func:`sk_convexbn._program.network_from_solution`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._losses import Loss
from ._module import BNModule
from ._penalty import SpectralPenalty
from ._statistics import row_coefficients, weighted_moments


@dataclass
class BNNetwork:
    """``f(X) = relu(gamma * (X W - mean) / std + beta) V + b`` (BN in eval mode).

    Attributes
    ----------
    hidden_weights : ndarray of shape (n_features, n_neurons)
    bn_mean, bn_std, bn_scale, bn_shift : ndarray of shape (n_neurons,)
        Training statistics of the pre-activations and the BN parameters
        ``gamma`` (scale) and ``beta`` (shift).
    output_weights : ndarray of shape (n_neurons, n_outputs)
    intercept : ndarray of shape (n_outputs,)
    """

    hidden_weights: np.ndarray
    bn_mean: np.ndarray
    bn_std: np.ndarray
    bn_scale: np.ndarray
    bn_shift: np.ndarray
    output_weights: np.ndarray
    intercept: np.ndarray

    @property
    def n_neurons(self) -> int:
        return self.hidden_weights.shape[1]

    def hidden_activations(self, X: np.ndarray) -> np.ndarray:
        """ReLU outputs of the hidden layer, BN in eval mode, shape (n_samples, n_neurons)."""
        H = (X @ self.hidden_weights - self.bn_mean) / self.bn_std
        return np.maximum(H * self.bn_scale + self.bn_shift, 0.0)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Network outputs in eval mode, shape (n_samples, n_outputs)."""
        return self.hidden_activations(X) @ self.output_weights + self.intercept

    def objective(
        self,
        X: np.ndarray,
        targets: np.ndarray,
        sample_weight: np.ndarray | None,
        loss: Loss,
        alpha: float,
        penalty: SpectralPenalty | None = None,
    ) -> float:
        """The objective J of the network on training data, BN in training mode.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        targets : ndarray of shape (n_samples, n_outputs)
            Encoded targets.
        sample_weight : ndarray of shape (n_samples,) or None
        loss : Loss
        alpha : float
        penalty : SpectralPenalty or None
            Spectral weighting of the penalty; plain weight decay if None.

        Returns
        -------
        float

        Notes
        -----
        .. math::

            J = \\frac{1}{N}\\sum_i w_i\\,\\ell(f(x_i), y_i)
              + \\frac{\\alpha}{2}\\sum_j \\big(\\kappa_j\\gamma_j^2 + \\beta_j^2
              + \\|v_j\\|^2\\big)

        with BN statistics (weighted mean, biased weighted standard deviation)
        recomputed from ``X``, and ``kappa_j`` the factors of the spectral penalty.
        """
        c = row_coefficients(sample_weight, X.shape[0])
        H = X @ self.hidden_weights
        mean, std = weighted_moments(H, c)
        safe_std = np.where(std > 0, std, 1.0)
        A = np.maximum((H - mean) / safe_std * self.bn_scale + self.bn_shift, 0.0)
        F = A @ self.output_weights + self.intercept
        data = float(loss.value(torch.as_tensor(F), torch.as_tensor(
            np.array(targets, dtype=float)), torch.as_tensor(c)))
        penalty = SpectralPenalty() if penalty is None else penalty
        return data + float(penalty.value(self.hidden_weights, self.bn_scale, self.bn_shift,
                                          self.output_weights, alpha))

    def to_torch(self, dtype: torch.dtype = torch.float64) -> torch.nn.Module:
        """Eval-mode ``Linear -> BatchNorm1d -> ReLU -> Linear`` with this network's weights.

        A :class:`~sk_convexbn._core._module.BNModule` (a ``torch.nn.Sequential``).
        ``BatchNorm1d`` keeps its default ``eps``; the running variance is stored as
        ``bn_std**2 - eps`` so that eval-mode outputs equal :meth:`forward`.
        """
        d, m = self.hidden_weights.shape
        n_out = self.output_weights.shape[1]
        weights, mean, std = self.hidden_weights, self.bn_mean, self.bn_std
        scale, shift, out = self.bn_scale, self.bn_shift, self.output_weights
        if m == 0:  # an all-zero network: one silent neuron keeps the modules valid
            weights, out = np.zeros((d, 1)), np.zeros((1, n_out))
            mean, std, scale, shift = np.zeros(1), np.ones(1), np.zeros(1), np.zeros(1)
        as_t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))  # noqa: E731
        module = BNModule(as_t(weights), as_t(scale), as_t(shift), as_t(out),
                          as_t(self.intercept), statistics=(as_t(mean), as_t(std)))
        return module.to(dtype)


def normalized_network(
    X: np.ndarray,
    sample_weight: np.ndarray | None,
    hidden_weights: np.ndarray,
    bn_scale: np.ndarray,
    bn_shift: np.ndarray,
    output_weights: np.ndarray,
    intercept: np.ndarray,
) -> BNNetwork:
    """Build a network whose hidden weights give unit training std (BN is scale invariant).

    The BN statistics are the (weighted) training statistics of ``X @ hidden_weights``;
    each column of the hidden weights is divided by its standard deviation, which
    leaves every output unchanged.
    """
    c = row_coefficients(sample_weight, X.shape[0])
    _, std = weighted_moments(X @ hidden_weights, c)
    if np.any(std <= 0):
        raise ValueError("a hidden neuron has a constant pre-activation on the training data")
    hidden = hidden_weights / std
    mean_n, std_n = weighted_moments(X @ hidden, c)
    return BNNetwork(
        hidden_weights=hidden,
        bn_mean=mean_n,
        bn_std=std_n,
        bn_scale=np.asarray(bn_scale, float),
        bn_shift=np.asarray(bn_shift, float),
        output_weights=np.asarray(output_weights, float),
        intercept=np.asarray(intercept, float),
    )
