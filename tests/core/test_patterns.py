"""Activation patterns: sampling, deduplication, enumeration on one-dimensional data."""

import numpy as np

from sk_convexbn._core._patterns import sample_patterns, unique_pattern_indices


def test_unique_pattern_indices_drop_duplicates_and_empty_columns():
    masks = np.array([[1, 0, 1, 0, 1], [0, 0, 0, 0, 1], [1, 0, 1, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(unique_pattern_indices(masks), [0, 4])


def test_sampled_patterns_are_reproducible_and_exactly_the_distinct_ones(rng):
    Z = np.column_stack([rng.standard_normal((30, 2)), np.ones(30)])
    a, gates = sample_patterns(Z, 50, np.random.RandomState(3), return_gates=True)
    b = sample_patterns(Z, 50, np.random.RandomState(3))
    np.testing.assert_array_equal(a, b)
    # the distinct non-empty patterns of the same 50 gates, counted independently
    drawn = Z @ np.random.RandomState(3).standard_normal((3, 50)) >= 0
    distinct = {col.tobytes() for col in drawn.T if col.any()}
    assert a.shape[1] == len(distinct)
    assert {col.tobytes() for col in a.T} == distinct
    # each kept gate produces its pattern
    np.testing.assert_array_equal(Z @ gates >= 0, a)


def test_one_dimensional_data_enumerates_every_pattern(rng):
    x = np.sort(rng.standard_normal(15))
    z = (x - x.mean()) / x.std()
    Z = np.column_stack([z, np.ones(15)])
    patterns = sample_patterns(Z, 5000, np.random.RandomState(0))
    # thresholds between sorted points, in both directions, plus the all-ones pattern
    assert patterns.shape[1] == 2 * (15 - 1) + 1
