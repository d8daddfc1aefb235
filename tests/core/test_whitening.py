"""Whitening: the basis in which batch normalization is linear."""

import numpy as np
import pytest

from sk_convexbn._core._whitening import Whitening



def test_whitened_columns_are_orthogonal(rng):
    X = rng.standard_normal((50, 4)) @ rng.standard_normal((4, 4)) + 3.0
    w = rng.uniform(0.5, 2.0, 50)
    wh = Whitening.fit(X, w)
    Z = wh.transform(X)
    N = w.sum()
    np.testing.assert_allclose(Z.T @ (w[:, None] * Z) / N, np.eye(5), atol=1e-12)
    assert wh.rank == 4 and Z.shape == (50, 5)


def test_spectral_weighting_scales_the_gram_matrix(rng):
    X = rng.standard_normal((40, 3)) * np.array([3.0, 1.0, 0.1])
    wh = Whitening.fit(X, spectral_power=1.0)
    Z = wh.transform(X)
    np.testing.assert_allclose(Z.T @ Z / 40, np.diag(wh.column_scales), atol=1e-12)
    sigma = wh.singular_values
    np.testing.assert_allclose(wh.spectral_weights, sigma / sigma[0])


def test_truncation_and_rank_detection(rng):
    base = rng.standard_normal((30, 2))
    X = np.column_stack([base, base @ [1.0, -2.0], np.full(30, 5.0)])  # rank 2
    wh = Whitening.fit(X)
    assert wh.rank == 2 and wh.n_directions == 2
    assert Whitening.fit(X, n_components=1).n_directions == 1
    with pytest.raises(ValueError, match="n_components=3 is larger than the numerical rank 2"):
        Whitening.fit(X, n_components=3)


def test_integer_weights_equal_repeated_rows(rng):
    X = rng.standard_normal((12, 3))
    w = rng.integers(1, 4, 12).astype(float)
    Xr = np.repeat(X, w.astype(int), axis=0)
    a, b = Whitening.fit(X, w), Whitening.fit(Xr)
    np.testing.assert_allclose(a.transform(X), b.transform(X), atol=1e-10)


def test_hidden_weights_reproduce_the_whitened_directions(rng):
    X = rng.standard_normal((25, 6))
    wh = Whitening.fit(X, spectral_power=0.5)
    a = rng.standard_normal((wh.n_directions, 3))
    np.testing.assert_allclose((X - wh.mean) @ wh.hidden_weights(a), wh.transform(X)[:, :-1] @ a,
                               atol=1e-10)


def test_tall_data_uses_the_gram_route_accurately(rng):
    X = rng.standard_normal((1100, 260)) @ rng.standard_normal((260, 260)) * 0.1
    wh = Whitening.fit(X, n_components=100)
    Z = wh.transform(X)
    np.testing.assert_allclose(Z.T @ Z / 1100, np.eye(101), atol=1e-9)
    _, s, _ = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(wh.singular_values, s[:100], rtol=1e-9)
    assert wh.rank == 260
