"""core/cnn/distributed.py: classification through local:2 equals the local worker, photo by photo,
also when a worker process is killed mid-run; the paths are checked on the workers up front."""

import os
import signal

import pytest

from scenic_heatmap.core.cluster.scheduler import SchedulerError, worker_pids
from scenic_heatmap.core.cnn.classifier import WorkerClassifier
from scenic_heatmap.core.cnn.distributed import ClusterClassifier


def rows(predictions):
    return [
        (p.path, p.label, p.category, round((p.scores or {}).get("valid", -1), 6), p.faces, p.error)
        for p in predictions
    ]


@pytest.fixture(scope="module")
def photo_paths(exif_dir, tmp_path_factory):
    paths = sorted(str(p) for p in exif_dir.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))[:40]
    broken = tmp_path_factory.mktemp("broken") / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    return paths[:20] + [str(broken), "/nonexistent/photo.jpg"] + paths[20:]


@pytest.fixture(scope="module")
def local_answers(photo_paths):
    return rows(WorkerClassifier(batch_size=8).classify(photo_paths))


def test_cluster_equals_the_local_worker_for_every_photo(local_client, photo_paths, local_answers):
    progress = []
    classifier = ClusterClassifier(local_client, batch_size=8)
    classifier.partition_batches = 2
    answers = rows(classifier.classify(photo_paths, progress.append))
    assert answers == local_answers
    assert len(progress) >= 2 and progress[-1] == len(photo_paths)  # per partition, in order
    assert [a[5] for a in answers if a[5]] == ["unreadable image (UnidentifiedImageError)", "file not found"]


def test_a_killed_worker_has_its_partition_run_elsewhere(local_client, photo_paths, local_answers):
    killed = []

    def kill_one(done):
        if not killed:  # after the first partition: the others are queued or running
            pid = sorted(worker_pids(local_client).values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        return True

    classifier = ClusterClassifier(local_client, batch_size=8)
    classifier.partition_batches = 1
    answers = rows(classifier.classify(photo_paths, kill_one))
    assert killed and answers == local_answers
    local_client.wait_for_workers(2, timeout=120)  # the nanny brought it back
    assert killed[0] not in worker_pids(local_client).values()


def test_photos_the_workers_cannot_read_are_refused_up_front(local_client, tmp_path):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(SchedulerError, match="cannot read the photos.*shared file system"):
        list(ClusterClassifier(local_client).classify([str(fifo)]))


def test_cancel_cancels_the_queued_partitions_and_tensorflow_stays_out(local_client, photo_paths, monkeypatch):
    import sys
    import time

    # TensorFlow may be loaded by an earlier test here; blocked, any import of it in this process fails
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    classifier = ClusterClassifier(local_client, batch_size=8)
    classifier.partition_batches = 1
    seen = list(classifier.classify(photo_paths, lambda done: False))  # stop after the first partition
    assert len(seen) == 8
    deadline = time.monotonic() + 30
    while local_client.processing() and any(local_client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(local_client.processing().values())  # nothing left running for this run
    # reaching here means the network ran only in the worker processes
