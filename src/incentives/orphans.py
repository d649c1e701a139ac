"""Worker processes that end with the process that started them.

A worker (the rollups' process pool, an API worker under ``serve --workers``) whose
parent is killed outright would otherwise live on, holding its database connections and
perhaps a run's locks, with nobody left to stop it. Each worker calls ``end_with_parent``
first thing: on Linux the kernel then kills it when its parent dies
(``PR_SET_PDEATHSIG``); elsewhere a thread of its own watches for the parent to change.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
# How often a worker without the kernel's help looks for its parent.
_WATCH_SECONDS = 0.5


def end_with_parent(parent: int) -> None:
    """End this process when process ``parent`` (the one that started it) dies."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    else:
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    # The parent may have died before the request took effect: it would never be told.
    if os.getppid() != parent:
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)
