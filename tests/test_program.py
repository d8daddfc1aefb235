"""The program factory and the map from a solution back to the network."""

import numpy as np
import pytest

from sk_convexbn._program import (
    ConvexSolution,
    make_program,
    merge_repeated_rows,
    network_from_solution,
)
from sk_convexbn._solvers import solve_cvxpy

from conftest import torch_objective


def _data(rng, n=30, d=3):
    X = rng.standard_normal((n, d)) * np.array([2.0, 1.0, 0.5])[:d]
    y = np.abs(X[:, 0] - 0.3) - 0.5 * X[:, 1] + 0.1 * rng.standard_normal(n)
    return X, y[:, None]


def test_repeated_rows_and_integer_weights_make_the_same_program(rng):
    X, Y = _data(rng)
    w = rng.integers(0, 4, len(X)).astype(float)
    order = rng.permutation(len(X))  # the row order does not matter either
    kwargs = dict(loss="squared_error", alpha=1e-2, n_patterns=20, random_state=0)
    weighted = make_program(X[order], Y[order], w[order], **kwargs)
    repeated = make_program(np.repeat(X, w.astype(int), axis=0),
                            np.repeat(Y, w.astype(int), axis=0), None, **kwargs)
    assert weighted.n_samples == np.count_nonzero(w)  # zero-weight rows are gone
    for name in ("Z", "targets", "sample_weight", "patterns", "gates"):
        np.testing.assert_array_equal(getattr(weighted, name), getattr(repeated, name))


def test_rows_are_kept_as_they_are_without_weights_or_repeats(rng):
    X, Y = _data(rng)
    Xm, Ym, w = merge_repeated_rows(X, Y, None)
    assert w is None
    np.testing.assert_array_equal(Xm, X)
    # identical x with different targets are different rows
    Xd = np.vstack([X, X[:1]])
    Yd = np.vstack([Y, Y[:1] + 1.0])
    assert merge_repeated_rows(Xd, Yd, None)[0].shape[0] == len(X) + 1


def test_patterns_and_gates_agree_and_n_patterns_counts_gates(rng):
    X, Y = _data(rng)
    program = make_program(X, Y, None, loss="squared_error", alpha=1e-2, n_patterns=40,
                           random_state=0)
    assert program.n_patterns <= 40 and program.n_blocks == 2 * program.n_patterns
    np.testing.assert_array_equal(program.Z @ program.gates >= 0, program.patterns)


def test_the_mapped_network_attains_the_program_objective(rng):
    X, Y = _data(rng)
    program = make_program(X, Y, None, loss="squared_error", alpha=1e-2, n_patterns=30,
                           random_state=0)
    solution = solve_cvxpy(program)
    # cone constraints hold: masked outputs equal ReLU outputs, objectives agree
    assert program.objective(solution.blocks, solution.intercept) == pytest.approx(
        solution.objective, rel=1e-9)
    network = network_from_solution(solution, program)
    model = type("Fitted", (), {k + "_": getattr(network, k) for k in (
        "hidden_weights", "bn_scale", "bn_shift", "output_weights", "intercept")})
    assert torch_objective(model, X, Y[:, 0], 1e-2) == pytest.approx(solution.objective,
                                                                     rel=1e-6)


def test_blocks_at_round_off_are_not_neurons(rng):
    X, Y = _data(rng)
    program = make_program(X, Y, None, loss="squared_error", alpha=1e-2, n_patterns=5,
                           random_state=0)
    _, sign, output = program.block_layout()
    blocks = np.zeros((program.n_columns, program.n_blocks))
    blocks[:, 0] = program.gates[:, 0]
    blocks[:, 1] = 1e-9 * program.gates[:, 1]  # far below the targets' scale
    solution = ConvexSolution(blocks, sign, output, np.zeros(1), 0.0, 0)
    assert network_from_solution(solution, program).n_neurons == 1


def test_no_variance_is_a_clear_error(rng):
    with pytest.raises(ValueError, match="no variance"):
        make_program(np.ones((5, 2)), np.zeros((5, 1)), None, loss="squared_error", alpha=1.0)
