"""Threads inside fit and predict: one for small data, the caller's settings restored."""

import numpy as np
import pytest
import torch

from sk_convexbn import ConvexBNRegressor
from sk_convexbn._core import _threads
from sk_convexbn._core._threads import SINGLE_THREAD_BELOW, thread_budget


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def test_small_data_runs_on_one_thread_and_restores_the_callers(two_threads):
    with thread_budget(1000):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError):
        with thread_budget(1000):
            raise RuntimeError
    assert torch.get_num_threads() == 2


def test_large_data_keeps_the_callers_setting(two_threads):
    with thread_budget(SINGLE_THREAD_BELOW):
        assert torch.get_num_threads() == 2


def test_fit_and_predict_run_single_threaded_on_small_data(two_threads, monkeypatch):
    seen = []
    forward = _threads.thread_budget

    def recording(n_entries):
        seen.append(n_entries)
        return forward(n_entries)

    monkeypatch.setattr(_threads, "thread_budget", recording)
    from sk_convexbn._estimators import _convex

    fit_program = _convex.fit_program

    def spy(*args, **kwargs):
        seen.append(("threads", torch.get_num_threads()))
        return fit_program(*args, **kwargs)

    monkeypatch.setattr(_convex, "fit_program", spy)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    model = ConvexBNRegressor(n_patterns=10, random_state=0).fit(X, X[:, 0])
    assert ("threads", 1) in seen and 40 * 3 in seen
    assert torch.get_num_threads() == 2
    model.predict(X)
    assert torch.get_num_threads() == 2


def test_any_input_that_validation_accepts_or_refuses_passes_through():
    from sklearn.utils.estimator_checks import _NotAnArray

    from sk_convexbn._core._threads import _n_entries

    assert _n_entries(_NotAnArray(np.ones((4, 3)))) == 12
    assert _n_entries([[1.0, 2.0], [3.0, 4.0]]) == 4
    assert _n_entries(object()) == 1  # a 0-d object array: validation refuses it later
