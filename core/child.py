"""Child Python processes that import the plugin's core: which interpreter, which environment,
and one JSON-lines conversation. QGIS-free. Used by the CNN workers, the Dask scheduler's
LocalCluster and the package installer.

TensorFlow must not load inside QGIS: it carries its own protobuf and SQLite,
and inside qgis_process (and QGIS desktop), whose executables link the system
libprotobuf, its descriptors clash and the process aborts. The CNN work runs
in `python -m <plugin>.core.<module>` instead: one JSON request on stdin, JSON
lines back on stdout.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Iterator

from .errors import UserError


class WorkerError(UserError):
    """A child process could not start or died; the message carries its last error lines."""


def python_executable() -> str:
    """This Python's interpreter. Inside QGIS sys.executable is QGIS itself, or whatever `python3`
    comes first on PATH (maybe another Python build), so it counts only when it is this Python's own."""
    own = os.path.realpath(sys.executable or "")
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix)}
    if os.path.basename(sys.executable or "").lower().startswith("python") and (
        any(own.startswith(p + os.sep) for p in prefixes) or sys.prefix != sys.base_prefix
    ):
        return sys.executable
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [
        os.path.join(sys.exec_prefix, "bin", version),
        os.path.join(sys.exec_prefix, "bin", "python3"),
        os.path.join(sys.exec_prefix, "python.exe"),
        shutil.which("python3"),
        shutil.which("python"),
    ]
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            return candidate
    raise WorkerError("No Python interpreter was found to run the CNN in.")


PACKAGE = __name__.split(".")[0]  # the plugin's folder name, e.g. scenic_heatmap


def child_env() -> dict:
    """The environment of a child Python that imports the plugin's core (and maybe TensorFlow)."""
    plugin_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    # the installer's folder (core/packages.py) comes last inside QGIS, first here: no QGIS
    # bindings load in the worker, and TensorFlow may need a newer numpy 1.x than QGIS ships
    installed = [p for p in paths if os.path.basename(p) == "scenic_heatmap_packages"]
    env["PYTHONPATH"] = os.pathsep.join([plugin_parent] + installed + [p for p in paths if p not in installed])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_worker(module: str, request: dict) -> Iterator[dict]:
    """Runs `core.<module>` (e.g. "cnn.classify_worker") and yields its JSON lines; raises WorkerError
    with its last stderr lines if it dies.

    Closing the generator early kills the worker (cancel)."""
    env = child_env()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [python_executable(), "-m", f"{PACKAGE}.core.{module}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            text=True,
            bufsize=1,
        )
        try:
            child.stdin.write(json.dumps(request) + "\n")
            child.stdin.close()
            for line in child.stdout:
                yield json.loads(line)
            if child.wait() != 0:
                errors.seek(0)
                tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                raise WorkerError("; ".join(tail) or f"the worker ended with code {child.returncode}")
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            child.stdout.close()
