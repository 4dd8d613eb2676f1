"""Logging set-up shared by the CLI and the Snakemake scripts."""

from __future__ import annotations

import contextlib
import logging
import sys

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
