"""sk_convexbn: two-layer ReLU networks with batch normalization, trained exactly.

Estimators
----------
ConvexBNRegressor, ConvexBNClassifier
    Trained by solving the equivalent convex program (exact, no local minima).
ConvexBNRegressorCV, ConvexBNClassifierCV
    The same, with ``alpha`` (and ``spectral_power``) chosen by cross-validation
    along a warm-started path.
GDBNRegressor, GDBNClassifier
    The same network trained by gradient descent in PyTorch.

Functions
---------
alpha_max
    The smallest regularization at which a convex estimator's network is empty.
global_optimality_gap
    How far any fitted network's J is above the global minimum (rank-1 or rank-2
    whitened data, where every activation pattern is enumerated).
"""

from ._estimators._convex import ConvexBNClassifier, ConvexBNRegressor
from ._estimators._cv import ConvexBNClassifierCV, ConvexBNRegressorCV
from ._estimators._gd import GDBNClassifier, GDBNRegressor
from ._regularization import alpha_max, global_optimality_gap

__version__ = "0.1.0.dev0"

__all__ = [
    "ConvexBNClassifier",
    "ConvexBNClassifierCV",
    "ConvexBNRegressor",
    "ConvexBNRegressorCV",
    "GDBNClassifier",
    "GDBNRegressor",
    "alpha_max",
    "global_optimality_gap",
    "__version__",
]
