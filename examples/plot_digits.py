"""
A convex BN network on handwritten digits
=========================================

Fit :class:`~sk_convexbn.ConvexBNClassifier` on the 8x8 digit images that ship with
scikit-learn (64 pixel features, 10 classes), look at what its hidden neurons
respond to, and compare it with a logistic regression on the same features.

**Reduced for speed.** The documentation runs this example on every build, so the
problem is cut down: 400 training images (of 1,797), first-layer weights restricted
to the top 16 principal directions (``n_components=16``), 6 sampled activation
patterns and the squared loss on one-hot targets. The program (400 rows x 120
blocks) is then small enough for the exact CVXPY solver and takes a few seconds.
For the full-size fit (``ConvexBNClassifier()`` with its defaults on an 80/20
split, which at that size add the patterns of a short gradient-descent run: test
accuracy 0.978 in 25 s), see the quick baselines on the :doc:`/benchmarks` page.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_convexbn import ConvexBNClassifier

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, train_size=400, stratify=digits.target, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

model = ConvexBNClassifier(
    loss="squared_error", alpha=1e-3, n_components=16, spectral_power=1.0,
    n_patterns=6, random_state=0,
).fit(X_train, y_train)
print(f"solver {model.solver_}: {model.n_neurons_} neurons from "
      f"{model.n_patterns_} patterns x 10 classes x 2 signs, objective {model.objective_:.4f}")
print(f"ConvexBNClassifier  train accuracy {model.score(X_train, y_train):.3f}, "
      f"test accuracy {model.score(X_test, y_test):.3f}")

baseline = make_pipeline(PCA(n_components=16), LogisticRegression(max_iter=2000))
baseline.fit(X_train, y_train)
print(f"PCA(16) + LogisticRegression test accuracy {baseline.score(X_test, y_test):.3f}")

# %%
# What the neurons look at
# ------------------------
# With ten classes every neuron of the convex model feeds exactly one class (its row
# of ``output_weights_`` has one nonzero entry). Its first-layer weights live in the
# 64-pixel space (of standardized pixels), inside the span of the top 16 principal
# directions; shown as images, they are templates of the strokes that switch the
# neuron on. Below, the 16 neurons with the largest output weights.

strength = np.abs(model.output_weights_).max(axis=1)
top = np.argsort(strength)[::-1][:16]
fig, axes = plt.subplots(2, 8, figsize=(8.5, 3.0), layout="constrained")
for ax, j in zip(axes.ravel(), top):
    c = np.argmax(np.abs(model.output_weights_[j]))
    w = model.hidden_weights_[:, j].reshape(8, 8)
    limit = np.abs(w).max()
    ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit)
    sign = "+" if model.output_weights_[j, c] > 0 else "-"
    ax.set_title(f"{model.classes_[c]} ({sign})")
    ax.set_axis_off()
fig.suptitle("first-layer weights of the strongest neurons\n(the class each feeds, sign of v)")
plt.show()

# %%
# Errors on the test images
# -------------------------

fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
ConfusionMatrixDisplay.from_estimator(model, X_test, y_test, ax=ax, colorbar=False)
ax.set_title("ConvexBNClassifier on the test images")
plt.show()
