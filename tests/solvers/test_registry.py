"""The solver registry: the "auto" rule, options checked before any work, memory refusal."""

from unittest import mock

import numpy as np
import pytest
import torch

from sk_convexbn import ConvexBNRegressor
from sk_convexbn._program import make_program
from sk_convexbn._solvers import SOLVERS, choose_solver, get_solver


def _data(rng, n=40, d=3):
    X = rng.standard_normal((n, d))
    return X, np.abs(X[:, 0]) - X[:, 1] + 0.1 * rng.standard_normal(n)


def test_auto_uses_the_closed_form_only_where_it_applies(rng):
    X, y = rng.standard_normal((8, 12)), rng.standard_normal(8)
    assert ConvexBNRegressor(spectral_power=0.0).fit(X, y).solver_ == "closed_form"
    assert ConvexBNRegressor(spectral_power=1.0, random_state=0).fit(
        X, y).solver_ == "working_set"
    X, y = _data(rng)
    assert ConvexBNRegressor(random_state=0).fit(X, y).solver_ == "working_set"
    with pytest.raises(ValueError, match="closed_form.*full row rank"):
        ConvexBNRegressor(solver="closed_form").fit(X, y)


def test_auto_is_a_function_of_the_program(rng):
    X, y = rng.standard_normal((6, 10)), rng.standard_normal(6)
    kwargs = dict(loss="squared_error", alpha=1e-2, random_state=0)
    square = make_program(X, y[:, None], None, **kwargs)
    assert choose_solver(square).name == "closed_form"
    # the same data with repeated rows is the same program (rows become weights)
    twice = make_program(np.vstack([X, X[:3]]), np.concatenate([y, y[:3]])[:, None], None,
                         **kwargs)
    assert twice.n_samples == 6 and choose_solver(twice).name == "closed_form"
    X, y = _data(rng)
    assert choose_solver(make_program(X, y[:, None], None, **kwargs)).name == "working_set"


@pytest.mark.parametrize("solver, params, match", [
    ("working_set", {"steps": 3}, r"accepts \['dtype'\].*unknown.*'steps'"),
    ("working_set", {"dtype": "float16"}, r"'float32' or 'float64'"),
    ("cvxpy", {1: "x"}, r"keys must be strings"),
    ("closed_form", {"rho": 1.0}, "not used by solver='closed_form'"),
    ("auto", {"dtype": "float32"}, r"name the solver"),
])
def test_bad_solver_params_are_rejected_before_any_work(rng, solver, params, match):
    X, y = _data(rng)
    with mock.patch("sk_convexbn._estimators._convex.make_program") as build:
        with pytest.raises(ValueError, match=match):
            ConvexBNRegressor(solver=solver, solver_params=params).fit(X, y)
    build.assert_not_called()


def test_more_than_the_memory_is_refused_before_solving(rng):
    X, y = _data(rng)
    for name in ("cvxpy", "working_set"):
        with mock.patch("sk_convexbn._core._device.available_memory", return_value=1024), \
                mock.patch.object(type(SOLVERS[name]), "solve") as solve:
            with pytest.raises(MemoryError, match=rf"solver='{name}'.*would need about .* GiB"
                                                  r".*Lower n_patterns"):
                ConvexBNRegressor(solver=name, n_patterns=50).fit(X, y)
            solve.assert_not_called()


def test_get_solver_names_the_choices():
    assert get_solver("working_set") is SOLVERS["working_set"]
    with pytest.raises(ValueError, match="solver must be one of"):
        get_solver("newton")


def test_unavailable_device_is_a_clear_error(rng):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    X, y = _data(rng, n=30, d=2)
    with pytest.raises(ValueError, match="no CUDA device"):
        ConvexBNRegressor(solver="working_set", device="cuda").fit(X, y)
    with pytest.raises(ValueError, match="device must be"):
        ConvexBNRegressor(solver="working_set", device="tpu").fit(X, y)
