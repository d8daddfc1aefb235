import numpy as np

from sk_convexbn._patterns import sample_patterns, unique_patterns


def test_unique_patterns_drops_duplicates_and_empty_columns():
    masks = np.array([[1, 0, 1, 0, 1], [0, 0, 0, 0, 1], [1, 0, 1, 0, 0]], dtype=bool)
    out = unique_patterns(masks)
    np.testing.assert_array_equal(out, masks[:, [0, 4]])


def test_sampled_patterns_are_reproducible_and_distinct(rng):
    Z = np.column_stack([rng.standard_normal((30, 2)), np.ones(30)])
    a = sample_patterns(Z, 50, np.random.RandomState(3))
    b = sample_patterns(Z, 50, np.random.RandomState(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape[1] <= 50 and a.any(axis=0).all()
    assert len({col.tobytes() for col in a.T}) == a.shape[1]


def test_one_dimensional_data_enumerates_every_pattern(rng):
    x = np.sort(rng.standard_normal(15))
    z = (x - x.mean()) / x.std()
    Z = np.column_stack([np.sqrt(1.0) * z, np.ones(15)])
    patterns = sample_patterns(Z, 5000, np.random.RandomState(0))
    # thresholds between sorted points, in both directions, plus the all-ones pattern
    assert patterns.shape[1] == 2 * (15 - 1) + 1
