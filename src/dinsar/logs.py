"""Logging set-up shared by the CLI and the Snakemake scripts."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterable, Iterator

from dinsar.errors import DinsarError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def to_file(path: str | None):
    """Log to `path` (a rule's log file) for the duration; exceptions end in it as one line too.

    Bad input (a DinsarError) ends the script with that one line on stderr and exit status 1, no
    traceback: Snakemake shows the line above its own error report, and `dinsar run` repeats it.
    Any other exception is a bug and keeps its traceback.
    """
    handler = logging.FileHandler(path) if path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # a step's warnings (a DEM that covers part of the scene, filled holes, a slave before its
    # master) reach the screen too, not only the rule's log
    screen = None
    if path:
        screen = logging.StreamHandler(sys.stderr)
        screen.addFilter(lambda record: record.levelno == logging.WARNING)  # errors: printed below
        screen.setFormatter(logging.Formatter("dinsar: warning: %(message)s"))
        logging.getLogger("dinsar").addHandler(screen)
    try:
        yield
    except DinsarError as e:
        logging.getLogger("dinsar").error("%s", e)
        print(f"dinsar: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as e:
        logging.getLogger("dinsar").error("%s", e)
        raise
    finally:
        root.removeHandler(handler)
        handler.close()
        if screen is not None:
            logging.getLogger("dinsar").removeHandler(screen)


class Progress:
    """INFO lines at about every 10 % of a long pass's blocks, so that `tail -f logs/...` shows a step moving."""

    def __init__(self, what: str, total: int, logger: logging.Logger | None = None):
        self.what, self.total, self.done, self.t0 = what, max(1, total), 0, time.perf_counter()
        self.next = 0.1
        self.log = logger or logging.getLogger("dinsar")

    def step(self) -> None:
        self.done += 1
        if self.done / self.total + 1e-9 >= self.next or self.done == self.total:
            self.log.info("%s: %d%% (%d/%d blocks, %.1f s)", self.what, round(100 * self.done / self.total),
                          self.done, self.total, time.perf_counter() - self.t0)
            while self.next <= self.done / self.total + 1e-9:
                self.next += 0.1


def progress(blocks: Iterable, what: str, logger: logging.Logger | None = None) -> Iterator:
    """The blocks, a Progress line after each tenth of them is done."""
    blocks = list(blocks)
    p = Progress(what, len(blocks), logger)
    for block in blocks:
        yield block
        p.step()
