"""Where hydride-screen keeps what it fetched or computed (on every machine the same rule), and the one way it
writes a cache file: atomically and synced to disk, so a reader sees the old file or the whole new one."""

import json
import os
import uuid
from pathlib import Path
from typing import Any

from monty.json import MontyEncoder


def cache_root() -> Path:
    """Where hydride-screen caches what it fetched or computed: `$HYDRIDE_SCREEN_CACHE`, else the user
    cache directory (`$XDG_CACHE_HOME` or `~/.cache`) `/hydride-screen`."""
    root = os.environ.get("HYDRIDE_SCREEN_CACHE")
    if root:
        return Path(root).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "hydride-screen"


def write_json_atomically(path: Path, payload: Any) -> None:
    """Write JSON to a temporary file beside `path`, then rename it into place: a reader sees the old file
    or the whole new one, never half of one, even if the process dies while writing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with temporary.open("x", encoding="utf-8") as handle:  # mode from the umask, as for any other file
            json.dump(payload, handle, cls=MontyEncoder)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
