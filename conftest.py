"""Test-session defaults: the fast profile for unit tests and for the notebooks nbval executes.

nbval's kernels inherit this process' environment, so setting the profile here reaches them.
Run the heavy regression instead with ``HELPERS_PROFILE=full pytest``.
"""

import os

os.environ.setdefault("HELPERS_PROFILE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
