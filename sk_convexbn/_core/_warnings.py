"""Warnings that point at the user's code, not at the line of the library that raised them."""

from __future__ import annotations

import sys
import warnings

#: Frames of these packages are skipped: the warning is attributed to the first frame
#: outside them (the user's ``fit`` call, or the caller of a search that ran it).
_INTERNAL = frozenset({"sk_convexbn", "sklearn", "joblib"})


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the first caller outside the library."""
    frame, level = sys._getframe(1), 2  # level 1 would be this function
    while frame is not None and (
            frame.f_globals.get("__name__", "").partition(".")[0] in _INTERNAL):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
