"""Orbit state vectors as read from an annotation or an EOF file."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StateVectors:
    """Earth-fixed (ECEF, WGS84) positions/velocities at UTC times, sorted by time."""

    time: np.ndarray  # datetime64[ns], (n,)
    position: np.ndarray  # float64 metres, (n, 3)
    velocity: np.ndarray  # float64 m/s, (n, 3)
    source: str  # the file they came from, for error messages

    def __post_init__(self):
        order = np.argsort(self.time)
        if not np.all(order == np.arange(len(order))):
            object.__setattr__(self, "time", self.time[order])
            object.__setattr__(self, "position", self.position[order])
            object.__setattr__(self, "velocity", self.velocity[order])

    def __len__(self) -> int:
        return len(self.time)

    @property
    def start(self) -> np.datetime64:
        return self.time[0]

    @property
    def stop(self) -> np.datetime64:
        return self.time[-1]

    def covers(self, start: np.datetime64, stop: np.datetime64) -> bool:
        return bool(len(self) >= 2 and self.start <= start and stop <= self.stop)

    def subset(self, start: np.datetime64, stop: np.datetime64, margin_s: float = 60.0):
        """The vectors within [start - margin, stop + margin] (EOF files span ~a day)."""
        margin = np.timedelta64(int(margin_s * 1e9), "ns")
        keep = (self.time >= start - margin) & (self.time <= stop + margin)
        return StateVectors(self.time[keep], self.position[keep], self.velocity[keep], self.source)
