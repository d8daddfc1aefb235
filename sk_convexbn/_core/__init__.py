"""The building blocks below the program: whitening, patterns, losses, the penalty, the network.

Nothing in this package knows about estimators or solvers.
"""
