"""Row preparation shared by the convex program and gradient descent."""

import numpy as np
import pytest

from sk_convexbn._core._rows import prepare_rows
from sk_convexbn._program import make_program
from sk_convexbn._training import make_gd_problem


def _data(rng, n=12):
    X = rng.standard_normal((n, 3))
    return X, X[:, :1] ** 2


def test_gradient_descent_keeps_the_rows_that_the_program_merges(rng):
    X, Y = _data(rng)
    X, Y = np.vstack([X, X[:2]]), np.vstack([Y, Y[:2]])  # two repeated rows
    w = np.ones(len(X))
    w[3] = 0.0
    merged = prepare_rows(X, Y, w)
    kept = prepare_rows(X, Y, w, merge=False)
    assert len(merged.X) == len(X) - 3 and merged.weights.sum() == len(X) - 1
    keep = w > 0
    np.testing.assert_array_equal(kept.X, X[keep])  # in their order, repeats included
    np.testing.assert_array_equal(kept.sample_weight, w[keep])
    # the same weighted data either way, so the same whitening
    for rows in (merged, kept):
        np.testing.assert_allclose(rows.coefficients.sum(), 1.0, rtol=1e-15)
    np.testing.assert_allclose(merged.whitening.mean, kept.whitening.mean, rtol=1e-12)
    np.testing.assert_allclose(merged.whitening.singular_values,
                               kept.whitening.singular_values, rtol=1e-12)


def test_unweighted_rows_have_no_weights_and_uniform_coefficients(rng):
    X, Y = _data(rng)
    rows = prepare_rows(X, Y, None, merge=False)
    assert rows.sample_weight is None
    np.testing.assert_array_equal(rows.weights, np.ones(len(X)))
    np.testing.assert_array_equal(rows.coefficients, np.full(len(X), 1.0 / len(X)))


def test_no_variance_is_the_same_error_for_both_fits(rng):
    X, Y = np.ones((6, 2)), np.zeros((6, 1))
    w = np.r_[np.ones(5), 0.0]
    X[-1] = 5.0  # the only varying row weighs nothing
    message = r"X has no variance \(every feature is constant on the weighted training rows\)"
    with pytest.raises(ValueError, match=message):
        make_program(X, Y, w, loss="squared_error", alpha=1.0)
    with pytest.raises(ValueError, match=message):
        make_gd_problem(X, Y, w, loss="squared_error", alpha=1.0)
