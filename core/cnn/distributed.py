"""Classification on a Dask cluster. QGIS-free, and TensorFlow loads only on the workers.

Photo paths go out in partitions of whole batches (so every photo meets the same batch companions
as in a local run); each worker process builds its classifier once and keeps it for the next
partitions. Results come back in input order. A partition whose worker dies is run again elsewhere
(Dask reschedules it; `retries` covers errors raised inside it)."""

import os
import socket
from typing import Callable, Iterable, Iterator

from ..child import WorkerError
from ..cluster.scheduler import SchedulerError
from ..files import not_regular_reason
from .classifier import Prediction, WorkerClassifier

PARTITION_BATCHES = 8  # 256 photos a task: few pipeline restarts, small loss when a worker dies
RETRIES = 3
_CLASSIFIERS = {}  # per worker process: settings -> classifier


def _classifier(settings: dict):
    key = tuple(sorted(settings.items()))
    if key not in _CLASSIFIERS:
        from .classifier import DefaultClassifier, TrainedClassifier

        # threads for decoding and the network: the worker's share of its machine (local_cluster.py
        # sets it), else the classifier's own default
        threads = int(os.environ.get("SCENIC_WORKER_THREADS", "0") or 0)
        if settings["model"]:
            _CLASSIFIERS[key] = TrainedClassifier(settings["model"], batch_size=settings["batch_size"], workers=threads)
        else:
            _CLASSIFIERS[key] = DefaultClassifier(
                face_check=settings["face_check"],
                batch_size=settings["batch_size"],
                face_gate=settings["face_gate"],
                workers=threads,
            )
    return _CLASSIFIERS[key]


def classify_partition(paths, settings: dict) -> list:
    """Runs on a worker: one dict per photo, as core/cnn/classify_worker answers."""
    return [
        {"label": p.label, "category": p.category, "scores": p.scores, "faces": p.faces, "error": p.error}
        for p in _classifier(settings).classify(paths)
    ]


def probe(path: str) -> str:
    """Runs on every worker: '' when the photo can be read there, else why not."""
    odd = not_regular_reason(path)
    if odd:
        return f"{socket.gethostname()}: {path}: {odd}"
    try:
        with open(path, "rb") as fh:
            fh.read(16)
    except OSError as exc:
        return f"{socket.gethostname()}: {path}: {exc.strerror or exc}"
    return ""


class ClusterClassifier(WorkerClassifier):
    """WorkerClassifier's answers, computed by the cluster's workers."""

    partition_batches = PARTITION_BATCHES

    def __init__(self, client, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def check_workers(self, first_path: str):
        """Up front: every worker reads the first photo (a shared file system). That they import the
        plugin, scheduler.client_for checked when it connected."""
        problems = [answer for answer in self.client.run(probe, os.path.abspath(first_path)).values() if answer]
        if problems:
            raise SchedulerError(
                "The Dask workers cannot read the photos: " + "; ".join(problems[:3]) + ". The photo paths must "
                "name the same files on every worker (a shared file system; README, Running on a cluster)."
            )

    def classify(
        self, paths: Iterable[str], progress: Callable[[int], bool] = lambda done: True
    ) -> Iterator[Prediction]:
        paths = list(paths)
        if not paths:
            return
        self.check_workers(paths[0])
        settings = {
            "model": self.model_path,
            "batch_size": self.batch_size,
            "face_gate": self.face_gate,
            "face_check": self.face_check,
        }
        size = self.batch_size * self.partition_batches
        parts = [paths[i : i + size] for i in range(0, len(paths), size)]
        futures = [
            self.client.submit(classify_partition, part, settings, retries=RETRIES, pure=False) for part in parts
        ]
        done = 0
        try:
            for part, future in zip(parts, futures):
                try:
                    answers = future.result()
                except Exception as exc:  # the task's own error, or KilledWorker after repeated deaths
                    raise WorkerError(f"a Dask task failed on the cluster ({type(exc).__name__}: {exc})") from None
                future.release()
                for path, answer in zip(part, answers):
                    yield Prediction(
                        path, answer["label"], answer["category"], answer["scores"], answer["faces"], answer["error"]
                    )
                done += len(part)
                if progress(done) is False:
                    return
        finally:
            self.client.cancel(futures)
