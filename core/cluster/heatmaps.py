"""Heat-map strips on a Dask cluster: the same `tiles.compute_strip`, one task per strip. QGIS-free."""

from ..density.tiles import compute_strip

RETRIES = 2


def strip_runner(client, retries: int = RETRIES):
    """A `run_strips` for tiles.heat_map: strips go out as tasks and come back as they finish (the
    writer puts each at its own rows). Closing the iterator cancels what is still running."""

    def run(spec, strip_jobs):
        from distributed import as_completed

        shared = client.scatter(spec, broadcast=True)  # the clip polygons travel once per worker
        futures = [client.submit(compute_strip, shared, job, retries=retries, pure=False) for job in strip_jobs]
        try:
            for future in as_completed(futures, loop=client.loop):
                result = future.result()
                future.release()
                yield result
        finally:
            client.cancel(futures)

    return run
