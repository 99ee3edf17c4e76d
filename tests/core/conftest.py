"""tests/core is QGIS-free: under `make test-core` (SCENIC_CORE_ONLY=1) QGIS must never be imported."""

import os
import sys

import pytest


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("SCENIC_CORE_ONLY") and "qgis" in sys.modules:
        print("\nerror: a core test or core module imported qgis", file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def local_client():
    """One LocalCluster of 2 worker processes on loopback for the cluster tests (SCHEDULER=local:2)."""
    from scenic_heatmap.core.cluster.scheduler import Scheduler, client_for

    with client_for(Scheduler("local", 2)) as client:
        yield client
