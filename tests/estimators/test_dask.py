"""A search over the estimators on a local dask.distributed cluster, through joblib."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sk_convexbn import ConvexBNClassifier, ConvexBNClassifierCV

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    # two worker processes, one thread each, started and shut down here
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def test_grid_search_and_cv_paths_run_on_the_cluster(client):
    X, y = load_iris(return_X_y=True)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    grid = {"alpha": [1e-1, 1e-2, 1e-3]}
    estimator = ConvexBNClassifier(n_patterns=10, random_state=0)
    local = GridSearchCV(estimator, grid, cv=folds).fit(X, y)
    with joblib.parallel_backend("dask"), distributed.get_task_stream(client) as stream:
        remote = GridSearchCV(estimator, grid, cv=folds, n_jobs=-1).fit(X, y)
        cv = ConvexBNClassifierCV(alphas=grid["alpha"], n_patterns=10, cv=folds, n_jobs=-1,
                                  random_state=0).fit(X, y)
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(cv.scores_.mean(axis=1), local.cv_results_["mean_test_score"],
                               atol=1e-12)
    # the fits ran as tasks of the cluster, on both workers
    assert len(stream.data) >= 9 + 3
    assert len({task["worker"] for task in stream.data}) == 2


def test_fitted_models_move_between_workers(client):
    X, y = load_iris(return_X_y=True)
    model = ConvexBNClassifier(n_patterns=10, random_state=0).fit(X, y)
    future = client.submit(lambda m, X: (m.predict(X), pickle.dumps(m)), model, X)
    predictions, pickled = future.result()
    np.testing.assert_array_equal(predictions, model.predict(X))
    np.testing.assert_array_equal(pickle.loads(pickled).predict(X), model.predict(X))
