"""Where hydride-screen keeps what it fetched or computed, on every machine the same rule."""

import os
from pathlib import Path


def cache_root() -> Path:
    """Where hydride-screen caches what it fetched or computed: `$HYDRIDE_SCREEN_CACHE`, else the user
    cache directory (`$XDG_CACHE_HOME` or `~/.cache`) `/hydride-screen`."""
    root = os.environ.get("HYDRIDE_SCREEN_CACHE")
    if root:
        return Path(root).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "hydride-screen"
