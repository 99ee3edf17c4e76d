"""Harvest cost and speed against the fake Flickr server with 50 ms per API call.

Prints API calls per candidate photo (goal <= 1.05; the study's script needed
about 3: search, getInfo/getSizes and getExif per photo), photos kept per hour
under Flickr's 3,600 calls/hour, and wall time with PARALLEL=1 against 3.

Usage: python bench/harvest.py [PHOTOS]
"""

import datetime
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))

from fake_flickr import FakeFlickr, make_photos  # noqa: E402
from standalone import link_plugin  # noqa: E402

link_plugin()
from scenic_heatmap.core.flickr.client import FlickrClient  # noqa: E402
from scenic_heatmap.core.flickr.harvest import Harvester, HarvestParams  # noqa: E402

VIENNA = (16.18, 48.11, 16.58, 48.33)
START, END = datetime.date(2016, 6, 30), datetime.date(2016, 8, 31)
STUDY_CALLS_PER_CANDIDATE = 3.0


def run(photos, parallel):
    fake = FakeFlickr(photos, api_key="bench-key", latency=0.05, image_scale=0.25).start()
    try:
        params = HarvestParams(bbox=VIENNA, start=START, end=END)

        def factory(**kw):
            return FlickrClient("bench-key", "bench-secret", endpoint=fake.rest_url, **kw)

        harvester = Harvester(params, tempfile.mkdtemp(prefix="bench_harvest_"), factory, parallel=parallel)
        started = time.perf_counter()
        records = harvester.run()
        return time.perf_counter() - started, harvester.stats, len(records), sum(fake.calls.values())
    finally:
        fake.stop()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    photos = make_photos(n, VIENNA, START, END, seed=21)
    one, stats, kept, calls = run(photos, 1)
    three, _, kept3, _ = run(photos, 3)
    assert kept3 == kept
    per_candidate = calls / stats.candidates
    print(f"candidates {stats.candidates}, kept {kept}, API calls {calls} (50 ms latency each)")
    print(
        f"API calls per candidate: {per_candidate:.3f} (goal <= 1.05; study's script ~{STUDY_CALLS_PER_CANDIDATE:.0f})"
    )
    print(
        f"photos kept per hour at 3,600 calls/h: {3600 * kept / calls:,.0f} "
        f"(study's approach: {3600 * kept / (STUDY_CALLS_PER_CANDIDATE * stats.candidates):,.0f})"
    )
    print(f"wall time PARALLEL=1: {one:.1f} s, PARALLEL=3: {three:.1f} s, speed-up {one / three:.2f}x")


if __name__ == "__main__":
    main()
