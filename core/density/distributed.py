"""Heat-map strips on a Dask cluster: the same `tiles.compute_strip` (or the bootstrap's
`bootstrap_strip`), one task per strip. QGIS-free."""

from .bootstrap import bootstrap_strip
from .tiles import compute_strip

RETRIES = 2


def strip_runner(client, retries: int = RETRIES, function=compute_strip):
    """A `run_strips` for tiles.heat_map (or, with function=bootstrap_strip, for
    bootstrap.owner_bootstrap): strips go out as tasks and come back as they finish (the caller
    puts each at its own rows). Closing the iterator cancels what is still running."""

    def run(spec, strip_jobs):
        from distributed import as_completed

        shared = client.scatter(spec, broadcast=True)  # the clip polygons travel once per worker
        futures = [client.submit(function, shared, job, retries=retries, pure=False) for job in strip_jobs]
        try:
            for future in as_completed(futures, loop=client.loop):
                result = future.result()
                future.release()
                yield result
        finally:
            client.cancel(futures)

    return run


def bootstrap_runner(client, retries: int = RETRIES):
    return strip_runner(client, retries, bootstrap_strip)
