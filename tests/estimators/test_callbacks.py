"""Progress reported to scikit-learn callbacks (where scikit-learn has them)."""

import numpy as np
import pytest

from sk_convexbn import ConvexBNClassifierCV, ConvexBNRegressor, GDBNRegressor

callback = pytest.importorskip("sklearn.callback")


class Recorder:
    """A FitCallback that keeps the name and metadata of every finished task."""

    def __init__(self):
        self.ended, self.setups, self.teardowns = [], 0, 0

    def setup(self, estimator, context):
        self.setups += 1

    def teardown(self, estimator, context):
        self.teardowns += 1

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, metadata=None):
        self.ended.append((context.task_name, metadata or {}))

    def leaves(self, name):
        return [metadata for task, metadata in self.ended if task == name]


@pytest.fixture
def data(rng):
    X = rng.standard_normal((60, 3))
    return X, np.maximum(X[:, 0], 0) - X[:, 1]


def test_convex_fit_reports_each_round_with_its_gap(data):
    X, y = data
    recorder = Recorder()
    model = ConvexBNRegressor(alpha=1e-2, n_patterns=20, random_state=0)
    model.set_callbacks(recorder).fit(*data)
    rounds = recorder.leaves("iteration")
    assert len(rounds) == model.n_iter_
    assert [r["iteration"] for r in rounds] == list(range(1, model.n_iter_ + 1))
    assert rounds[-1]["duality_gap"] == pytest.approx(model.duality_gap_)
    assert recorder.ended[-1][0] == "fit" and recorder.setups == recorder.teardowns == 1


def test_gd_fit_reports_each_epoch_with_its_objective(data):
    recorder = Recorder()
    model = GDBNRegressor(hidden_layer_sizes=5, max_iter=20, random_state=0)
    with pytest.warns(Warning):  # stops at max_iter
        model.set_callbacks(recorder).fit(*data)
    epochs = recorder.leaves("epoch")
    assert [e["objective"] for e in epochs] == model.loss_curve_


def test_cv_reports_every_grid_point_of_every_fold(data):
    X, y = data
    labels = (y > np.median(y)).astype(int)
    recorder = Recorder()
    model = ConvexBNClassifierCV(alphas=3, n_patterns=10, cv=2, random_state=0)
    model.set_callbacks(recorder).fit(X, labels)
    points = recorder.leaves("alpha")
    assert len(points) == 3 * 2
    (refit,) = recorder.leaves("refit")
    assert refit["alpha"] == model.alpha_ and refit["duality_gap"] == model.duality_gap_
    np.testing.assert_allclose(sorted(p["score"] for p in points), np.sort(model.scores_.ravel()))




def test_the_readme_progress_bar_draws_a_cv_fit():
    """``set_callbacks(ProgressBar())`` as the README shows it (rich, from the extras)."""
    pytest.importorskip("rich")
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    est = ConvexBNClassifierCV(alphas=3, n_patterns=10, cv=2, random_state=0)
    est.set_callbacks(callback.ProgressBar()).fit(X, y)
    assert est.score(X, y) > 0.9
