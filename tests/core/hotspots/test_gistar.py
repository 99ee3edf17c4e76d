"""core/hotspots/gistar.py: Gi* by hand on a 5 x 5 grid, a planted cluster, false hot spots under
randomness, FDR, and the refusals."""

import math

import numpy as np
import pytest

from scenic_heatmap.core.hotspots.gistar import HotspotError, benjamini_hochberg, gi_star, weights
from scenic_heatmap.core.hotspots.grid import aggregate


def lattice(side):
    g = np.arange(side) + 0.5
    xx, yy = np.meshgrid(g, g)
    return np.column_stack([xx.ravel(), yy.ravel()])


def test_gi_star_by_hand_on_a_5x5_grid():
    """Queen neighbours (band 1.5 cells) with the cell itself; the centre value 10, the rest 1."""
    x = np.ones(25)
    x[12] = 10.0
    w = weights(lattice(5), band=1.5)
    n, mean = 25, 34 / 25
    sd = math.sqrt((24 * 1 + 100) / 25 - mean**2)
    # the centre: 9 cells in its window (itself and 8 neighbours), lag 10 + 8
    z_centre = (18 - mean * 9) / (sd * math.sqrt((n * 9 - 81) / (n - 1)))
    # a corner: 4 cells, none of them the centre
    z_corner = (4 - mean * 4) / (sd * math.sqrt((n * 4 - 16) / (n - 1)))
    with pytest.raises(HotspotError, match="at least 30"):
        gi_star(x, w)
    from scenic_heatmap.core.hotspots import gistar

    old = gistar.MIN_CELLS
    gistar.MIN_CELLS = 25
    try:
        result = gi_star(x, w, permutations=99)
        permuted = gi_star(x, w, permutations=999, classes_from="permutation")
    finally:
        gistar.MIN_CELLS = old
    assert result.z[12] == pytest.approx(z_centre, abs=1e-12)
    assert result.z[0] == pytest.approx(z_corner, abs=1e-12)
    assert result.neighbours[12] == 9 and result.neighbours[0] == 4
    # no draw of 8 other cells reaches the centre's lag 18, so its permutation p is the smallest possible
    assert permuted.p_sim[12] == pytest.approx(1 / 1000)


def test_planted_cluster_is_hot_at_95_after_fdr():
    rng = np.random.default_rng(7)
    side = 20
    x = rng.poisson(2.0, side * side).astype(float)
    grid = x.reshape(side, side)
    grid[8:11, 8:11] += 12  # the planted 3 x 3 cluster
    x = grid.ravel()
    result = gi_star(x, weights(lattice(side), band=1.5), permutations=999, seed=3)
    planted = [r * side + c for r in range(8, 11) for c in range(8, 11)]
    assert all(result.classes[i] in ("hot 99", "hot 95") for i in planted), [result.classes[i] for i in planted]


def test_randomness_gives_few_false_hot_spots_after_fdr():
    false_hot = 0
    cells = 0
    for seed in range(100):
        x = np.random.default_rng(seed).poisson(3.0, 100).astype(float)
        result = gi_star(x, weights(lattice(10), band=1.5), permutations=199, seed=seed)
        false_hot += sum(c.startswith("hot") and c != "hot 90" for c in result.classes)
        cells += len(x)
    assert false_hot / cells <= 0.05


def test_benjamini_hochberg_known_values():
    p = np.array([0.01, 0.04, 0.03, 0.20])
    # sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.06, 0.0533, 0.20 -> running minimum from the top
    assert benjamini_hochberg(p) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])


def test_cells_without_neighbours_are_refused_with_their_number():
    centres = np.vstack([lattice(6), [[100.0, 100.0]]])
    with pytest.raises(HotspotError, match="1 of 37 cells have no neighbour"):
        gi_star(np.arange(37, dtype=float), weights(centres, band=1.5))


def test_k_nearest_weights_have_k_plus_one_cells():
    w = weights(lattice(6), k=4)
    assert set(np.asarray(w.sum(axis=1)).ravel()) == {5.0}


def test_aggregate_squares_and_hexagons_count_photos_and_owners():
    xs = np.array([5.0, 6.0, 15.0, 15.5, 95.0])
    ys = np.array([5.0, 6.0, 5.0, 5.5, 95.0])
    owners = ["a", "a", "b", "c", "a"]
    square = aggregate(xs, ys, owners, np.ones(5), 10.0, "square")
    assert square.counts.sum() == 5 and square.counts.max() == 2
    assert square.owners[np.argmax(square.counts)] in (1, 2)
    assert len(square.counts) == 100  # the empty cells of the lattice are observations too
    hexagons = aggregate(xs, ys, owners, np.ones(5), 10.0, "hexagon")
    assert hexagons.counts.sum() == 5
    ring = hexagons.polygon(0)
    assert len(ring) == 7 and ring[0] == ring[-1]
