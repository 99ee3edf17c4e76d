"""Speed and memory of the hedonic price model (core/stats/hedonic.py) with SPATIAL = error.

Synthetic listings (capacity, room type, a photo variable, the distance to a centre and SAR(0.6)
errors on 8 nearest neighbours) at 1,736 prices (the real Airbnb layer's size) and at 50,000. Each
size runs in a child process, so its peak memory is its own. Beside the whole model (the OLS
ladder, Moran's I and the LM tests, the spatial error model, the effect curve) stands one OLS fit
on the same design, measured in the same child: the ratio is the price of the spatial inference.
Goal: 50,000 prices in <= 60 s and <= 2 GB.

Usage: python bench/pricemodel.py [N ...]
"""

import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from standalone import link_plugin  # noqa: E402


def synthetic(n, seed=1):
    from scenic_heatmap.core.stats import hedonic

    rng = np.random.default_rng(seed)
    side = 300.0 * np.sqrt(n)  # the same density of listings at every size
    xy = rng.uniform(0, side, (n, 2))
    w = hedonic.weights(xy, 8).sparse.tocsc()
    from scipy.sparse import identity
    from scipy.sparse.linalg import spsolve

    errors = spsolve((identity(n) - 0.6 * w).tocsc(), rng.normal(0, 0.3, n))
    capacity = rng.integers(1, 7, n).astype(float)
    room = rng.choice(["Entire home/apt", "Private room", "Shared room"], n, p=[0.6, 0.35, 0.05]).astype(object)
    distance = np.hypot(xy[:, 0] - side / 2, xy[:, 1] - side / 2) / 1000
    photo = np.exp(3 - 0.3 * distance + rng.normal(0, 0.7, n))
    log_price = (
        4.5 + 0.08 * capacity - 0.4 * (room == "Private room") + 0.05 * np.log1p(photo) - 0.05 * distance + errors
    )
    data = hedonic.PriceData(
        np.exp(log_price),
        {"photo": photo},
        xy[:, 0],
        xy[:, 1],
        {"capacity": capacity, "room": room},
        centre=(side / 2, side / 2),
    )
    return data


def one(n):
    """In the child: time one OLS and the whole model, report peak memory."""
    warnings.simplefilter("ignore")
    import statsmodels.api as sm

    from scenic_heatmap.core.stats import hedonic

    data = synthetic(n)
    design = hedonic.prepare(data, hedonic.Settings())
    names, matrix = hedonic._columns(design, design.photo, design.controls, design.location)
    exog = np.column_stack([np.ones(len(design.y)), matrix])
    start = time.perf_counter()
    sm.OLS(design.y, exog).fit(cov_type="HC1")
    ols_s = time.perf_counter() - start
    start = time.perf_counter()
    result = hedonic.fit_price_model(data, hedonic.Settings(spatial="error"))
    model_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": n, "ols_s": ols_s, "model_s": model_s, "peak_mb": peak_mb, "model": result.final.name}))


def main(sizes):
    print("| prices | model | whole model (s) | one OLS (s) | ratio | peak memory (MB) |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True)
        if out.returncode:
            print(out.stderr[-2000:])
            raise SystemExit(f"size {n} failed")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {n:,} | {row['model']} | {row['model_s']:.1f} | {row['ols_s']:.3f} | "
            f"{row['model_s'] / row['ols_s']:.0f}x | {row['peak_mb']:.0f} |"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        link_plugin()
        one(int(sys.argv[2]))
    else:
        main([int(a) for a in sys.argv[1:]] or [1736, 50_000])
