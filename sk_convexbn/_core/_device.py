"""Where computations run: torch devices and the memory available there."""

from __future__ import annotations

import os

import torch


def resolve_device(device: str) -> torch.device:
    """The torch device for ``device`` in {"cpu", "cuda", "cuda:N", "auto"}.

    Raises
    ------
    ValueError
        If ``device`` is not one of those, or asks for CUDA where none is available.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if isinstance(device, str) and (device == "cuda" or device.startswith("cuda:")):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} but torch finds no CUDA device on this machine; "
                "use device='cpu' or 'auto'."
            )
        return torch.device(device)
    raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {device!r}.")


def available_memory(device: torch.device) -> int | None:
    """Bytes of memory free for new arrays on ``device`` (None when unknown)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - platform dependent
        return None


def check_memory(required: int, device: torch.device, what: str, advice: str) -> None:
    """Raise a MemoryError before allocating ``required`` bytes that are not there."""
    free = available_memory(device)
    if free is not None and required > free:
        raise MemoryError(
            f"{what} would need about {required / 2**30:.1f} GiB on {device}, but only "
            f"{free / 2**30:.1f} GiB are free. {advice}"
        )
