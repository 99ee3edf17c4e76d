"""The advanced SCHEDULER parameter (core/cluster) and its plugin-wide default in the Processing
options (Settings > Options > Processing > Providers > Scenic Heatmap)."""

from contextlib import contextmanager

from qgis.core import (
    QgsProcessingException,
    QgsSettings,
)

from ...core.cluster.scheduler import Scheduler, SchedulerError, parse
from ...core.packages import MissingPackages
from .parameters import simple

SCHEDULER = "SCHEDULER"
SETTING = "SCENIC_HEATMAP_SCHEDULER"  # a ProcessingConfig setting, stored under Processing/Configuration
SETTING_KEY = f"Processing/Configuration/{SETTING}"
HELP = (
    "<br><br><b>Dask scheduler</b> (advanced): empty runs on this machine; <code>local:N</code> starts N "
    "worker processes here for this run; <code>tcp://host:8786</code> sends the work to a running Dask "
    "cluster, whose workers must read the same files (README, Running on a cluster). Empty uses the default "
    "set in the Processing options; <code>off</code> always means this machine."
)


SCHEDULER_PARAMETER = simple(
    "string", SCHEDULER, "Dask scheduler (empty, local:N or tcp://host:port)", default="", optional=True, advanced=True
)


def strips_on(client, bootstrap: bool = False):
    """The strip runner for core/density: on the cluster when there is a client, else here."""
    from ...core.density import tiles
    from ...core.density.distributed import bootstrap_runner, strip_runner

    if client is None:
        return None if bootstrap else tiles.local_strips
    return bootstrap_runner(client) if bootstrap else strip_runner(client)


def default_scheduler() -> str:
    return str(QgsSettings().value(SETTING_KEY, "") or "")


def scheduler_of(algorithm, parameters, context) -> Scheduler:
    text = algorithm.parameterAsString(parameters, SCHEDULER, context).strip() or default_scheduler()
    try:
        return parse(text)
    except SchedulerError as exc:  # its message names SCHEDULER and the value
        raise QgsProcessingException(str(exc)) from None


@contextmanager
def dask_client(scheduler: Scheduler, feedback):
    """None for this machine; else a connected Client. Errors become one clear message."""
    if not scheduler:
        yield None
        return
    from ...core.cluster.scheduler import client_for

    feedback.pushInfo(f"Connecting to {scheduler.describe()}…")
    try:
        with client_for(scheduler) as client:
            workers = len(client.scheduler_info().get("workers", {}))
            feedback.pushInfo(f"Running on {scheduler.describe()} ({workers} workers).")
            yield client
    except SchedulerError as exc:
        raise QgsProcessingException(f"{SCHEDULER}: {exc}") from None
    except MissingPackages:
        raise QgsProcessingException(
            f"{SCHEDULER}: running on a Dask cluster needs the Python package 'distributed' "
            "(Plugins > Scenic Heatmap > Install Python packages, or pip install distributed)."
        ) from None


def register_setting(provider_name: str):
    """The Processing options entry; without Debian's `processing` module there is only the key."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig, Setting
    except ImportError:
        return False
    ProcessingConfig.addSetting(
        Setting(provider_name, SETTING, "Default Dask scheduler (empty: this machine; local:N; tcp://host:port)", "")
    )
    ProcessingConfig.readSettings()
    return True


def unregister_setting():
    try:
        from processing.core.ProcessingConfig import ProcessingConfig
    except ImportError:
        return
    ProcessingConfig.removeSetting(SETTING)
