"""core/hotspots/analysis.py: cells, the owner floor, the tourist share and Gi* from weighed photos."""

import numpy as np
import pytest

from scenic_heatmap.core.density.pipeline import Photos
from scenic_heatmap.core.errors import UserError
from scenic_heatmap.core.hotspots import analysis


def scattered(seed=1, n=1500, burst=None):
    """n photos of n people on a 6 km square, plus a cluster of many people at (1500, 1500)."""
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(0, 6000, n), rng.uniform(0, 6000, n)
    owners = [f"p{i}" for i in range(n)]
    cx, cy = rng.normal(1500, 60, 300), rng.normal(1500, 60, 300)
    xs, ys = np.r_[xs, cx], np.r_[ys, cy]
    owners += [f"c{i}" for i in range(300)]
    times = np.full(len(xs), 1.5e9)
    return Photos(xs, ys, np.ones(len(xs)), owners, times)


def test_a_cluster_of_many_people_is_hot():
    spots = analysis.hot_spots(scattered(), analysis.Settings(cell_m=250, permutations=99, min_owners=3))
    cells = spots.cells
    tested = np.flatnonzero(spots.keep)
    hot = [tested[i] for i, c in enumerate(spots.gi.classes) if c.startswith("hot")]
    # the cluster's own cells, and neighbours whose band (1.5 cells) reaches them: nothing far away
    assert all(np.hypot(*(cells.centres[i] - 1500)) < 600 for i in hot)
    core = [i for i, c in enumerate(spots.gi.classes) if np.hypot(*(cells.centres[tested[i]] - 1500)) < 250]
    assert core and all(spots.gi.classes[i] == "hot 99" for i in core)


def test_the_floor_removes_one_persons_cells_and_counts_them():
    photos = scattered()
    photos.owners = [o if not o.startswith("c") else "one person" for o in photos.owners]
    spots = analysis.hot_spots(photos, analysis.Settings(cell_m=250, permutations=0, min_owners=3))
    assert spots.removed_photos >= 250 and spots.removed_cells >= 1
    assert any("MIN_OWNERS 3" in note for note in spots.notes)


def test_tourist_share_needs_photo_user_days_and_locals_by_share_needs_a_clip():
    settings = analysis.Settings(cell_m=250, audience=analysis.TOURIST_SHARE, weighting="photos")
    with pytest.raises(UserError, match="photo-user-days"):
        analysis.hot_spots(scattered(), settings)
    settings = analysis.Settings(cell_m=250, audience=analysis.TOURIST_SHARE, weighting="photo-user-days", local_rule=1)
    with pytest.raises(UserError, match="CLIP"):
        analysis.hot_spots(scattered(), settings)


def test_band_defaults_to_one_and_a_half_cells_in_map_units():
    assert analysis.Settings(cell_m=100, to_units=2.0).band == 300
    assert analysis.Settings(cell_m=100, band_m=50).band == 50
    assert analysis.Settings(cell_m=100, neighbourhood="k nearest").band is None
