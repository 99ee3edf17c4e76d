"""`python -m <plugin>.core.cluster.local_cluster N`: a Dask LocalCluster of N worker processes on
loopback for one run. Prints {"address": ...} once the workers are up, then lives until its stdin
closes (the run ended, or QGIS went away). It runs in a Python of its own, like the CNN worker, so
that the worker processes start from a Python interpreter and not from QGIS's executable."""

import json
import os
import sys


def main():
    workers = int(sys.argv[1])
    memory = sys.argv[2] if len(sys.argv) > 2 else "auto"
    # the tasks use threads of their own (numba, TFLite, decoding): share the cores between the workers
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    os.environ.setdefault("NUMBA_NUM_THREADS", threads)
    os.environ.setdefault("SCENIC_WORKER_THREADS", threads)
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        memory_limit=memory,
        silence_logs=40,
    )
    try:
        print(json.dumps({"address": cluster.scheduler_address}), flush=True)
        sys.stdin.read()  # returns at EOF
    finally:
        cluster.close(timeout=10)


if __name__ == "__main__":
    main()
