"""SCHEDULER values, and the Dask client for one run. QGIS-free.

* "" (or "off"): this machine, today's path; dask is never imported.
* "local:N": a LocalCluster of N worker processes on loopback, started for the run in a child
  Python (core/cluster/local_cluster.py) and stopped after it.
* "tcp://host:port": a running scheduler (`dask scheduler`); this process is only the client.
"""

import json
import os
import re
import socket
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from ..child import PACKAGE, child_env, python_executable
from ..errors import UserError
from ..packages import need

MAX_LOCAL_WORKERS = 256
CONNECT_SECONDS = 5.0
START_SECONDS = 180.0


class SchedulerError(UserError):
    """A scheduler that cannot be used, with what to do about it."""


@dataclass(frozen=True)
class Scheduler:
    kind: str = ""  # "", "local" or "tcp"
    workers: int = 0  # local:N
    address: str = ""  # tcp://host:port

    def __bool__(self):
        return bool(self.kind)

    def describe(self) -> str:
        if self.kind == "local":
            return f"a local Dask cluster of {self.workers} worker processes"
        return f"the Dask scheduler at {self.address}" if self.kind else "this machine"


def parse(text) -> Scheduler:
    value = str(text or "").strip()
    if value.lower() in ("", "off", "none"):
        return Scheduler()
    local = re.fullmatch(r"local:(\d+)", value, re.IGNORECASE)
    if local:
        workers = int(local.group(1))
        if not 1 <= workers <= MAX_LOCAL_WORKERS:
            raise SchedulerError(f"SCHEDULER {value!r}: the number of local workers must be 1 to {MAX_LOCAL_WORKERS}.")
        return Scheduler("local", workers)
    remote = re.fullmatch(r"(tcp|tls)://(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9._-]+):(\d{1,5})", value)
    if remote and 0 < int(remote.group(3)) < 65536:
        return Scheduler("tcp", address=value)
    raise SchedulerError(
        f"SCHEDULER {value!r} is not understood. Leave it empty (this machine), or give local:N (N worker "
        "processes on this machine) or tcp://host:port (a running Dask scheduler)."
    )


def check_reachable(address: str, timeout: float = CONNECT_SECONDS):
    """A plain TCP connect first: an unreachable scheduler fails in seconds with a clear message."""
    host, port = address.split("://", 1)[1].rsplit(":", 1)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise SchedulerError(
            f"Cannot reach the Dask scheduler at {address} ({exc.strerror or exc}). Start it with `dask scheduler` "
            "on that machine, or check the address, the port and the firewall."
        ) from None


@contextmanager
def client_for(scheduler: Scheduler, timeout: float = CONNECT_SECONDS) -> Iterator[object]:
    """A distributed.Client with at least one worker, closed (and a local cluster stopped) afterwards."""
    distributed = need("distributed")
    child = None
    try:
        if scheduler.kind == "tcp":
            check_reachable(scheduler.address, timeout)
            address, wanted = scheduler.address, 1
        else:
            child, address = _start_local(scheduler.workers)
            wanted = scheduler.workers
        try:
            client = distributed.Client(address, timeout=max(timeout, 10), set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SchedulerError(f"Cannot connect to the Dask scheduler at {address}: {exc}") from None
        try:
            try:
                client.wait_for_workers(wanted, timeout=START_SECONDS if child else max(timeout, 30))
            except TimeoutError:
                raise SchedulerError(
                    f"{scheduler.describe()} has no workers. Start `dask worker {address}` on each machine "
                    "(README, Running on a cluster)."
                ) from None
            check_workers_import(client)
            yield client
        finally:
            client.close()
    finally:
        if child is not None:
            _stop_local(child)


def _start_local(workers: int):
    child = subprocess.Popen(
        [python_executable(), "-m", f"{PACKAGE}.core.cluster.local_cluster", str(workers)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
        text=True,
    )
    first = []
    reader = threading.Thread(target=lambda: first.append(child.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_SECONDS)
    try:
        address = json.loads(first[0])["address"] if first and first[0] else ""
    except (ValueError, KeyError):
        address = ""
    if not address:
        _stop_local(child)
        tail = (child.stderr.read() or "").strip().splitlines()[-3:] if child.stderr else []
        raise SchedulerError(f"The local Dask cluster did not start: {'; '.join(tail) or 'no answer'}")
    return child, address


def _stop_local(child):
    try:
        child.stdin.close()  # the cluster closes itself at EOF
        child.wait(timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        child.kill()
        child.wait()
    for stream in (child.stdout, child.stderr):
        if stream:
            stream.close()


def worker_pids(client) -> dict:
    """{worker address: process id}: what a test kills to see a partition retried elsewhere."""
    return client.run(os.getpid)


def check_workers_import(client):
    """Every worker must import this plugin's core: the tasks are its functions."""
    try:
        client.run(_imports_core)
    except Exception as exc:  # the worker's ImportError, re-raised here
        raise SchedulerError(
            f"The Dask workers cannot import the plugin's code ({type(exc).__name__}: {exc}). Install the plugin "
            f"folder `{PACKAGE}` and its requirements on every worker machine and put the folder above it on the "
            "workers' PYTHONPATH (README, Running on a cluster)."
        ) from None


def _imports_core():
    import importlib

    importlib.import_module(f"{PACKAGE}.core.density.tiles")
    return True
