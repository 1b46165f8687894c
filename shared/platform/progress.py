"""Progress of a long job for the operator who started it: the stock import (W6), the batch check of the stock (P9,
P10), key rotation (design.md §5).

On a terminal, a tqdm bar that redraws itself: count, share, rate and the estimated time left. Anywhere else (a
log file, a Kubernetes Job's output, a pipe) one plain line per step, which a log keeps whole::

    stock import: 3000/10000 rows (30%), 1500.00 rows/s, 00:04 left, imported 2990, rejected 10

Without a total (a CSV read from stdin) the line has the count and the rate only. Progress goes to the stream it is
given (the commands give stderr: their stdout is the result); without a stream nothing is shown.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm

# Always units per second (tqdm's own rate turns into seconds per unit below one a second).
WITH_TOTAL = "{desc}: {n_fmt}/{total_fmt}{unit} ({percentage:.0f}%), {rate_noinv_fmt}, {remaining} left{postfix}"
WITHOUT_TOTAL = "{desc}: {n_fmt}{unit}, {rate_noinv_fmt}{postfix}"


class Progress:
    """``what`` done so far out of ``total`` (None: unknown) ``unit``; :meth:`at` after each step.

    ``terminal``: draw a bar (default: whether ``stream`` is a terminal); ``clock`` measures the elapsed time for
    the plain lines (tests pass their own)."""

    def __init__(self, what: str, total: int | None = None, *, unit: str = "rows", stream: TextIO | None = None,
                 terminal: bool | None = None, clock: Callable[[], float] = time.monotonic):
        self.what, self.total, self.unit, self.stream, self.clock = what, total, unit, stream, clock
        self.done, self.started = 0, clock()
        terminal = stream is not None and (stream.isatty() if terminal is None else terminal)
        self._bar = tqdm(total=total, desc=what, unit=f" {unit}", file=stream, dynamic_ncols=True) if terminal \
            else None

    def at(self, done: int, note: str = "") -> None:
        """``done`` units finished in all (one step); ``note`` adds what else the job counts."""
        if self._bar is not None:
            self._bar.update(done - self.done)
            if note:
                self._bar.set_postfix_str(note, refresh=True)
        elif self.stream is not None:
            print(self.line(done, note), file=self.stream, flush=True)
        self.done = done

    def advance(self, count: int, note: str = "") -> None:
        """``count`` more units finished (one step)."""
        self.at(self.done + count, note)

    def line(self, done: int, note: str = "") -> str:
        """The plain line for ``done`` units now."""
        line = tqdm.format_meter(done, self.total, self.clock() - self.started, prefix=self.what, unit=f" {self.unit}",
                                 bar_format=WITH_TOTAL if self.total else WITHOUT_TOTAL, postfix=note or None)
        return re.sub(" {2,}", " ", line)  # tqdm pads small rates to a width

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
