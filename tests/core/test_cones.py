"""Exact projections onto pattern cones against SciPy's NNLS; early stops are bounds."""

import numpy as np
import pytest
import torch
from scipy.optimize import nnls

from sk_convexbn._core._cones import project_onto_cones


def _cones(rng, n=120, K=6, W=25):
    Z = np.column_stack([rng.standard_normal((n, K - 1)), np.ones(n)])
    gates = rng.standard_normal((K, W))
    signs = np.where(Z @ gates >= 0, 1.0, -1.0)
    return Z, signs, gates


def _reference(Z, signs, X):
    """Projections by SciPy's NNLS on the dual, one cone at a time."""
    points = []
    for j in range(X.shape[1]):
        A = signs[:, j:j + 1] * Z
        nu, _ = nnls(A.T, -X[:, j], maxiter=50 * len(Z))
        points.append(X[:, j] + A.T @ nu)
    return np.column_stack(points)


def test_projections_match_nnls_and_are_feasible(rng):
    Z, signs, _ = _cones(rng)
    X = 3.0 * rng.standard_normal((Z.shape[1], signs.shape[1]))
    result = project_onto_cones(torch.tensor(Z), torch.tensor(signs), torch.tensor(X))
    assert bool(result.converged.all())
    expected = _reference(Z, signs, X)
    np.testing.assert_allclose(result.points.numpy(), expected, atol=1e-10)
    assert np.min(signs * (Z @ result.points.numpy())) >= -1e-10
    np.testing.assert_allclose(result.norms.numpy(), np.linalg.norm(expected, axis=0),
                               atol=1e-10)
    # the support rows are tight
    for j in range(X.shape[1]):
        rows = result.support.rows(j).numpy()
        np.testing.assert_allclose((Z[rows] @ result.points.numpy()[:, j]), 0.0, atol=1e-10)


def test_points_inside_their_cone_are_their_own_projection(rng):
    Z, signs, gates = _cones(rng)
    result = project_onto_cones(torch.tensor(Z), torch.tensor(signs), torch.tensor(gates))
    np.testing.assert_allclose(result.points.numpy(), gates, atol=1e-12)
    assert result.steps == 1


def test_a_warm_start_converges_in_few_steps_to_the_same_projection(rng):
    Z, signs, _ = _cones(rng)
    X = 3.0 * rng.standard_normal((Z.shape[1], signs.shape[1]))
    cold = project_onto_cones(torch.tensor(Z), torch.tensor(signs), torch.tensor(X))
    moved = X + 1e-3 * rng.standard_normal(X.shape)
    warm = project_onto_cones(torch.tensor(Z), torch.tensor(signs), torch.tensor(moved),
                              support=cold.support)
    np.testing.assert_allclose(warm.points.numpy(), _reference(Z, signs, moved), atol=1e-10)
    assert warm.steps < cold.steps


@pytest.mark.parametrize("seed", [0, 1])
def test_early_stops_give_valid_bounds(seed):
    rng = np.random.default_rng(seed)
    Z, signs, gates = _cones(rng)
    X = 3.0 * rng.standard_normal((Z.shape[1], signs.shape[1]))
    exact = np.linalg.norm(_reference(Z, signs, X), axis=0)
    threshold = float(np.median(exact))
    result = project_onto_cones(torch.tensor(Z), torch.tensor(signs), torch.tensor(X),
                                stop_below=threshold, stop_above=threshold,
                                interior=torch.tensor(gates))
    upper, lower = result.norms.numpy(), result.lower.numpy()
    assert np.all(upper >= exact - 1e-10) and np.all(lower <= exact + 1e-10)
    # every cone is settled: certified below, certified above, or exact
    settled = (upper <= threshold) | (lower > threshold) | result.converged.numpy()
    assert settled.all()
    assert np.all((upper <= threshold) <= (exact <= threshold + 1e-10))
    assert np.all((lower > threshold) <= (exact > threshold - 1e-10))
