"""sk_convexbn: two-layer ReLU networks with batch normalization, trained exactly.

Estimators
----------
ConvexBNRegressor, ConvexBNClassifier
    Trained by solving the equivalent convex program (exact, no local minima).
GDBNRegressor, GDBNClassifier
    The same network trained by gradient descent in PyTorch.

Functions
---------
alpha_max
    The smallest regularization at which a convex estimator's network is empty.
"""

from ._estimators._convex import ConvexBNClassifier, ConvexBNRegressor
from ._estimators._gd import GDBNClassifier, GDBNRegressor
from ._regularization import alpha_max

__version__ = "0.1.0.dev0"

__all__ = [
    "ConvexBNClassifier",
    "ConvexBNRegressor",
    "GDBNClassifier",
    "GDBNRegressor",
    "alpha_max",
    "__version__",
]
