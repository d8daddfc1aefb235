"""sk_convexbn: two-layer ReLU networks with batch normalization, trained exactly.

Estimators
----------
ConvexBNRegressor
    Trained by solving the equivalent convex program (exact, no local minima).
"""

from ._convex import ConvexBNRegressor

__version__ = "0.1.0.dev0"

__all__ = ["ConvexBNRegressor", "__version__"]
