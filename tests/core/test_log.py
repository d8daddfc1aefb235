"""Progress lines: how many at each verbose level, and what they say."""

import re

import pytest

from sk_convexbn._core._log import IterationLog


def run(verbose, n=1000, every=100, **kwargs):
    log = IterationLog("loop", verbose, every=every, **kwargs)
    for k in range(1, n + 1):
        log(k, f"J {1 / k:.3f}", details="detail", last=k == n)


@pytest.mark.parametrize("n, lines", [(1000, 11), (1001, 12), (7, 2), (1, 1)])
def test_verbose_one_prints_first_every_and_last(capsys, n, lines):
    run(1, n=n)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == lines
    assert out[0].startswith("[loop] iteration      1  J 1.000")
    assert all(re.search(r"\d+\.\d\ds$", line) for line in out)  # elapsed time
    assert "detail" not in "".join(out)
    assert out[-1].startswith(f"[loop] iteration {n:6d}")


def test_verbose_two_prints_every_iteration_with_details(capsys):
    run(2, n=30, unit="epoch")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 30
    assert all(line.startswith("[loop] epoch") and "detail" in line for line in out)


def test_silent_at_zero(capsys):
    run(0)
    assert capsys.readouterr().out == ""
