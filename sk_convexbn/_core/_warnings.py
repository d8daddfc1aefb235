"""Warnings that point at the user's code, not at the line of the library that raised them."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import sklearn

#: Frames in these directories are skipped: the warning is attributed to the first
#: frame outside them (the user's ``fit`` call, or a meta-estimator's caller).
_INTERNAL = (str(Path(__file__).resolve().parents[1]), str(Path(sklearn.__file__).parent))


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the first caller outside the library."""
    frame, level = sys._getframe(1), 2  # level 1 would be this function
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
