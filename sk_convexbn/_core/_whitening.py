"""Whitening of the data: the basis in which batch normalization becomes linear.

Batch normalization of a pre-activation ``X w`` only sees the direction of ``w`` in
the whitened coordinates of the centred data. This module computes those
coordinates once (weighted centring and a compact SVD), maps rows to the whitened
matrix ``Z`` used by the convex program, and maps vectors of that space back to
first-layer weights. The two encodings of gradient descent's implicit bias
(truncation to the top principal directions, spectral weighting) are transforms of
this basis and live here too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg


def _spectrum(Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Singular values (descending), right singular vectors (rows) and numerical rank."""
    n, d = Xs.shape
    eps = np.finfo(np.float64).eps
    if n >= 4 * d and d >= 256:
        eigenvalues, vectors = linalg.eigh(Xs.T @ Xs, check_finite=False)
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues, vectors = np.clip(eigenvalues[order], 0.0, None), vectors[:, order]
        sigma = np.sqrt(eigenvalues)
        threshold = np.sqrt(max(n, d) * eps) * (sigma[0] if sigma.size else 0.0)
        Vt = np.ascontiguousarray(vectors.T)
    else:
        _, sigma, Vt = linalg.svd(Xs, full_matrices=False, check_finite=False)
        threshold = max(n, d) * eps * (sigma[0] if sigma.size else 0.0)
    rank = int(np.sum(sigma > threshold)) if sigma.size and sigma[0] > 0 else 0
    return sigma, Vt, rank


@dataclass(frozen=True)
class Whitening:
    """Weighted centring and whitening of a training set.

    Build it with :meth:`fit`. All arrays are float64.

    Attributes
    ----------
    mean : ndarray of shape (n_features,)
        Weighted mean of the training rows.
    components : ndarray of shape (n_features, k)
        Right singular vectors ``V_k`` of the weighted centred data.
    singular_values : ndarray of shape (k,)
        The matching singular values ``sigma_1 >= ... >= sigma_k > 0``.
    spectral_weights : ndarray of shape (k,)
        ``(sigma_j / sigma_1) ** spectral_power`` (all ones for plain BN).
    total_weight : float
        ``N = sum(sample_weight)`` (the number of rows without weights).
    rank : int
        Numerical rank of the weighted centred data, before truncation.
    """

    mean: np.ndarray
    components: np.ndarray
    singular_values: np.ndarray
    spectral_weights: np.ndarray
    total_weight: float
    rank: int

    @classmethod
    def fit(
        cls,
        X: np.ndarray,
        sample_weight: np.ndarray | None = None,
        *,
        n_components: int | None = None,
        spectral_power: float = 0.0,
    ) -> "Whitening":
        """Centre and whiten ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Training rows (float64). Rows of zero weight must already be removed.
        sample_weight : ndarray of shape (n_samples,) or None
            Positive row weights; ``None`` means all ones.
        n_components : int or None
            Keep only the top ``n_components`` singular directions. ``None`` keeps
            all directions of nonzero (numerical) variance.
        spectral_power : float
            Exponent ``tau`` of the spectral weighting ``(sigma_j/sigma_1)**tau``.

        Returns
        -------
        Whitening

        Raises
        ------
        ValueError
            If ``n_components`` exceeds the numerical rank of the centred data.

        Notes
        -----
        With weights ``w`` (``N = sum w``), the weighted mean ``mu``, ``Xc = X - mu``
        and the SVD ``W^(1/2) Xc = U S V^T``, the whitened matrix is
        ``Z = [sqrt(N) Xc V S^-1 Lambda, 1]`` so that ``Z^T W Z = N diag(Lambda^2, 1)``.
        The spectrum comes from an SVD, or, for tall data (``n >= 4 d`` with
        ``d >= 256``), from the eigendecomposition of the ``d x d`` Gram matrix,
        which is faster and needs no ``n x d`` factor. The numerical rank counts the
        ``sigma_k > max(n, d) * eps * sigma_1`` (the threshold of
        :func:`numpy.linalg.matrix_rank`) after an SVD and the
        ``sigma_k > sqrt(max(n, d) * eps) * sigma_1`` after a Gram matrix, whose
        small eigenvalues carry only that accuracy.
        """
        X = np.asarray(X, dtype=np.float64)
        n_samples, n_features = X.shape
        if sample_weight is None:
            total_weight = float(n_samples)
            mean = X.mean(axis=0)
            Xs = X - mean
        else:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            total_weight = float(sample_weight.sum())
            mean = sample_weight @ X / total_weight
            Xs = (X - mean) * np.sqrt(sample_weight)[:, None]

        sigma, Vt, rank = _spectrum(Xs)
        # Fix the sign of each direction by the data alone, so that equivalent data
        # (weights versus repeated rows) gets the same Z and the same patterns.
        signs = np.sign(Vt[np.arange(Vt.shape[0]), np.argmax(np.abs(Vt), axis=1)])
        Vt *= np.where(signs == 0, 1.0, signs)[:, None]
        if n_components is None:
            k = rank
        elif n_components > rank:
            raise ValueError(
                f"n_components={n_components} is larger than the numerical rank "
                f"{rank} of the centred training data; use n_components <= {rank} "
                "or None (all directions)."
            )
        else:
            k = int(n_components)
        sigma = sigma[:k]
        if spectral_power and k:
            weights = (sigma / sigma[0]) ** float(spectral_power)
        else:
            weights = np.ones(k)
        return cls(
            mean=mean,
            components=np.ascontiguousarray(Vt[:k].T),
            singular_values=sigma,
            spectral_weights=weights,
            total_weight=total_weight,
            rank=rank,
        )

    @property
    def n_directions(self) -> int:
        """Number of whitened directions kept (``k``)."""
        return self.singular_values.shape[0]

    @property
    def column_scales(self) -> np.ndarray:
        """``diag(Z^T W Z) / N``: squared spectral weights, then 1 for the bias column."""
        return np.append(self.spectral_weights**2, 1.0)

    def _projection(self) -> np.ndarray:
        """The (n_features, k) map ``sqrt(N) V S^-1 Lambda`` from centred rows to Z."""
        scale = np.sqrt(self.total_weight) * self.spectral_weights / self.singular_values
        return self.components * scale

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Whitened matrix ``Z = [sqrt(N) (X - mu) V S^-1 Lambda, 1]`` of shape (n, k+1)."""
        X = np.asarray(X, dtype=np.float64)
        Z = np.empty((X.shape[0], self.n_directions + 1))
        np.matmul(X - self.mean, self._projection(), out=Z[:, :-1])
        Z[:, -1] = 1.0
        return Z

    def hidden_weights(self, directions: np.ndarray) -> np.ndarray:
        """First-layer weights whose BN pre-activation follows ``directions``.

        Parameters
        ----------
        directions : ndarray of shape (k, m)
            The non-bias part ``a`` of neuron vectors in the coordinates of ``Z``.

        Returns
        -------
        ndarray of shape (n_features, m)
            ``sqrt(N) V S^-1 Lambda a``, so that ``(X - mu) w = Z[:, :k] a``.
        """
        return self._projection() @ directions
