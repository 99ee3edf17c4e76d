"""One LocalCluster of 2 worker processes on loopback for the cluster tests (SCHEDULER=local:2)."""

import pytest


@pytest.fixture(scope="session")
def local_client():
    pytest.importorskip("distributed", reason="SCHEDULER needs the Python package 'distributed'")
    from scenic_heatmap.core.cluster.scheduler import Scheduler, client_for

    with client_for(Scheduler("local", 2)) as client:
        yield client
