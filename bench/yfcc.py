"""YFCC100M import speed and memory: generated files in the 25-column layout (a third of the rows
inside a Vienna extent), read by core/photos/yfcc.py as a stream. Each size runs in a child process
so its peak memory is its own; memory should stay flat from 100,000 to 1,000,000 rows.

Usage: python bench/yfcc.py [ROWS ...]"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from standalone import link_plugin  # noqa: E402


def make_file(path, rows):
    import random

    rng = random.Random(1)
    with open(path, "w") as fh:
        for n in range(rows):
            inside = n % 3 == 0
            lon = 16.2 + rng.random() * 0.3 if inside else rng.uniform(-170, 170)
            lat = 48.12 + rng.random() * 0.2 if inside else rng.uniform(-60, 70)
            cols = [str(n), str(10**9 + n), "h", f"{n % 5000}%40N00", "Some+One", "2013-05-01+12%3A00%3A00.0",
                    "1367409600", "Canon", "A+title", "", "tag", "", f"{lon:.6f}", f"{lat:.6f}", "16",
                    "http%3A%2F%2Fwww.flickr.com%2Fphotos%2Fx%2F1%2F", "http%3A%2F%2Ffarm1.staticflickr.com%2F1.jpg",
                    "Attribution+License", "http%3A%2F%2Fcreativecommons.org%2Flicenses%2Fby%2F2.0%2F", "1", "1",
                    "s", "o", "jpg", "0"]  # fmt: skip
            fh.write("\t".join(cols) + "\n")


def one(rows):
    link_plugin()
    from scenic_heatmap.core.photos import yfcc

    path = os.path.join(tempfile.mkdtemp(prefix="yfcc_bench_"), "yfcc100m_dataset")
    make_file(path, rows)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    stats = yfcc.YfccStats()
    kept = sum(1 for _ in yfcc.read(path, yfcc.YfccFilter(bbox=(16.18, 48.11, 16.58, 48.33)), stats))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    os.remove(path)
    print(
        json.dumps(
            {"rows": rows, "kept": kept, "s": seconds, "peak_mb": peak / 1024, "grew_mb": (peak - before) / 1024}
        )
    )


def main(sizes):
    print("| rows | kept | seconds | rows/s | peak memory (MB) | growth while reading (MB) |")
    print("|---|---|---|---|---|---|")
    for rows in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(rows)], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr[-2000:])
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rate, peak, grew = rows / r["s"], r["peak_mb"], r["grew_mb"]
        print(f"| {rows:,} | {r['kept']:,} | {r['s']:.1f} | {rate:,.0f} | {peak:.0f} | {grew:.1f} |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        one(int(sys.argv[2]))
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
