"""tests/core is QGIS-free: under `make test-core` (SCENIC_CORE_ONLY=1) QGIS must never be imported."""

import os
import sys


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("SCENIC_CORE_ONLY") and "qgis" in sys.modules:
        print("\nerror: a core test or core module imported qgis", file=sys.stderr)
        session.exitstatus = 1
