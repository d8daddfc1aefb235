"""The scikit-learn estimators: validation of the input and translation to and from the layers below."""
