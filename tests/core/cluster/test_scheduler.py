"""core/cluster/scheduler.py: what SCHEDULER accepts, and clear failures."""

import os
import subprocess
import sys
import tempfile
import time

import pytest

from scenic_heatmap.core.cluster.scheduler import Scheduler, SchedulerError, client_for, parse, worker_pids


def tmp_path_factory_file():
    return os.path.join(tempfile.mkdtemp(prefix="scenic_nodask_"), "map.tif")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", Scheduler()),
        ("  off ", Scheduler()),
        ("local:2", Scheduler("local", 2)),
        ("LOCAL:16", Scheduler("local", 16)),
        ("tcp://10.0.0.5:8786", Scheduler("tcp", address="tcp://10.0.0.5:8786")),
        ("tcp://scheduler.example.org:8786", Scheduler("tcp", address="tcp://scheduler.example.org:8786")),
    ],
)
def test_accepted_values(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text", ["local:0", "local:x", "local", "tcp://host", "http://h:8786", "tcp://h:99999", "8786"]
)
def test_refused_values_say_what_is_accepted(text):
    with pytest.raises(SchedulerError, match="local:N|1 to"):
        parse(text)


def test_the_local_path_never_imports_dask():
    # a fresh Python: parsing an empty SCHEDULER and a whole heat map on this machine load no dask
    code = (
        "import sys, numpy as np\n"
        "from scenic_heatmap.core.cluster.scheduler import parse\n"
        "from scenic_heatmap.core.density import distributed\nfrom scenic_heatmap.core.cnn import distributed as cnn\n"
        "from scenic_heatmap.core.density import kde, tiles\n"
        "assert not parse('')\n"
        "xs = np.array([0.0, 50.0]); grid = kde.grid_for_points(xs, xs, 100, 10)\n"
        "spec = tiles.MapSpec(grid)\n"
        "tiles.heat_map(sys.argv[1], spec, tiles.jobs(spec, xs, xs, 100))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path_factory_file())], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_unreachable_scheduler_fails_fast_and_clearly():
    start = time.monotonic()
    with pytest.raises(SchedulerError, match=r"Cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        with client_for(parse("tcp://127.0.0.1:9")):
            pass
    assert time.monotonic() - start < 10


def test_local_cluster_has_its_workers_and_a_tcp_client_joins_it(local_client):
    pids = worker_pids(local_client)
    assert len(pids) == 2 and len(set(pids.values())) == 2
    address = local_client.scheduler.address
    with client_for(parse(address)) as second:
        assert len(second.scheduler_info()["workers"]) == 2
