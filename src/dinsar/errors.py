"""Exceptions whose message is the one line a user sees.

Each names the file or config key at fault and what is wrong with it; the CLI
prints ``dinsar: <message>`` and exits 1.
"""


class DinsarError(Exception):
    """Base class: bad input the user can fix."""


class ConfigError(DinsarError):
    """A config key has a wrong type, value or combination."""


class ProductError(DinsarError):
    """A SAFE product, archive or orbit file is unusable."""


class RasterError(DinsarError):
    """A raster cannot be read or written as asked."""


class WriteError(DinsarError):
    """An output could not be written completely (disk full, file size limit)."""
