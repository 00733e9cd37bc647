"""One writer per run directory: a lock file naming the holder (pid, host), taken over from a dead process."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

LOCK_FILE = ".lock"


class RunLockedError(RuntimeError):
    """Another live process holds the run directory's lock; the message names it."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


class RunLock:
    """``with RunLock(out_dir, say):`` holds ``out_dir/.lock`` for this process; see the module doc.

    The file is created with ``O_EXCL`` (atomic on a local file system) and holds the holder's pid, host
    and start time. A lock left by a process that is no longer alive on this host is taken over, with a
    line through ``say``; a live holder (or one on another host, whose liveness cannot be checked) makes
    the lock refuse with :class:`RunLockedError`, naming it and the file to delete if it is stale.
    """

    def __init__(self, out_dir, say=lambda line: None):
        self.path = Path(out_dir) / LOCK_FILE
        self.say = say
        self.held = False

    def _holder(self) -> dict | None:
        try:
            holder = json.loads(self.path.read_text())
            return holder if isinstance(holder, dict) else {}
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # unreadable: a lock file cut short by a crash

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is not None:  # None: released meanwhile, try again
                    self._refuse_or_take_over(holder, me)
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self.held = True
            return self
        raise RunLockedError(f"could not take the lock {self.path}; try again")

    def _refuse_or_take_over(self, holder: dict, me: dict) -> None:
        pid, host = holder.get("pid"), holder.get("host")
        if host == me["host"] and isinstance(pid, int) and pid == me["pid"]:
            raise RunLockedError(f"{self.path.parent} is already being written by this process")
        if host == me["host"] and isinstance(pid, int) and _alive(pid):
            raise RunLockedError(f"{self.path.parent} is being written by process {pid} on {host} (since "
                                 f"{holder.get('since', '?')}); wait for it to finish, or use another --out")
        if host not in (None, me["host"]):
            raise RunLockedError(f"{self.path.parent} is locked by process {pid} on host {host}; if that run is "
                                 f"over, delete {self.path} and try again")
        self.say(f"taking over the lock of {self.path.parent} from process {pid} (no longer running)")
        self.path.unlink(missing_ok=True)

    def release(self) -> None:
        if self.held:
            holder = self._holder()
            if holder and holder.get("pid") == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
