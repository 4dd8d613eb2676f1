"""Credentials from the -a auth file, environment variables or ~/.netrc; never printed.

Lookup order: the peps_download-style auth file (`user password` on one line), then
DINSAR_<PROVIDER>_USERNAME / DINSAR_<PROVIDER>_PASSWORD, then the netrc entry for the
provider's host. Where they were looked for is kept for the 401 message, not the values.
"""

from __future__ import annotations

import netrc
import os
from dataclasses import dataclass, field
from pathlib import Path

from dinsar.errors import DinsarError


class AuthError(DinsarError):
    """Missing or refused credentials."""


@dataclass
class Credentials:
    username: str | None
    password: str | None = field(repr=False)
    source: str  # where they came from (no secret)
    searched: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.username and self.password)

    def __repr__(self) -> str:  # never show the password
        return f"Credentials(username={self.username!r}, source={self.source!r})"


def lookup(provider: str, host: str, auth_file: str | Path | None = None) -> Credentials:
    searched = []
    if auth_file:
        searched.append(f"auth file {auth_file}")
        try:
            words = Path(auth_file).read_text().split()
        except OSError as e:
            raise AuthError(f"{auth_file}: cannot read auth file ({e.strerror})") from None
        if len(words) < 2:
            raise AuthError(f"{auth_file}: expected 'user password' in the auth file")
        return Credentials(words[0], words[1], f"auth file {auth_file}", searched)
    key = provider.upper()
    searched.append(f"DINSAR_{key}_USERNAME/DINSAR_{key}_PASSWORD")
    user, password = os.environ.get(f"DINSAR_{key}_USERNAME"), os.environ.get(f"DINSAR_{key}_PASSWORD")
    if user and password:
        return Credentials(user, password, "environment", searched)
    path = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    searched.append(f"{path} (machine {host})")
    if path.is_file():
        try:
            entry = netrc.netrc(path).authenticators(host)
        except (netrc.NetrcParseError, OSError) as e:
            raise AuthError(f"{path}: unreadable netrc ({type(e).__name__})") from None
        if entry:
            return Credentials(entry[0], entry[2], f"netrc {path}", searched)
    return Credentials(None, None, "none", searched)
