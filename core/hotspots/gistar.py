"""Getis-Ord Gi* on binary spatial weights (scipy.sparse), with conditional-permutation p-values
and Benjamini-Hochberg FDR. QGIS-free; z-scores and analytical p-values equal esda's G_Local(star=True)
(tests/core/hotspots compares them).

Gi* of cell i (its own value included): z_i = (L_i - x̄ W_i) / (s sqrt((n S_i - W_i²) / (n - 1))),
L_i = Σ_j w_ij x_j, W_i = Σ_j w_ij, S_i = Σ_j w_ij², x̄ and s the mean and standard deviation
(population) of all n cells."""

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import SILENT, Progress, UserError
from ..packages import need

CLASSES = ("hot 99", "hot 95", "hot 90", "not significant", "cold 90", "cold 95", "cold 99")
LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
MIN_CELLS = 30


class HotspotError(UserError):
    pass


def weights(centres, band: Optional[float] = None, k: Optional[int] = None):
    """Binary weights with the cell itself (Gi*): neighbours within `band` metres, or the k nearest
    other cells. A CSR matrix."""
    sparse = need("scipy.sparse")
    tree = need("scipy.spatial").cKDTree(centres)
    n = len(centres)
    if band is not None:
        pairs = tree.query_pairs(band, output_type="ndarray")
        rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
        cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
    elif k is not None:
        if not 0 < k < n:
            raise HotspotError(f"NEIGHBOURHOOD: k must be between 1 and {n - 1} (the other cells).")
        _, nearest = tree.query(centres, k=k + 1)
        rows = np.repeat(np.arange(n), k + 1)
        cols = nearest.ravel()
    else:
        raise HotspotError("NEIGHBOURHOOD: give a distance band or k.")
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix.data[:] = 1.0  # a cell listed twice (k nearest with ties) still weighs 1
    return matrix


@dataclass
class GiStar:
    z: np.ndarray
    p_norm: np.ndarray  # one-tailed normal p of |z| (as esda's p_norm)
    p_sim: np.ndarray  # folded permutation pseudo p (as esda's p_sim)
    p_fdr: np.ndarray  # Benjamini-Hochberg on the two-sided p (2 p_norm, or 2 p_sim with use_permutations)
    classes: list
    neighbours: np.ndarray  # W_i, the cell included


def gi_star(
    x,
    w,
    permutations: int = 999,
    seed: int = 1,
    fdr: bool = True,
    classes_from: str = "normal",
    progress: Progress = SILENT,
    chunk: int = 256,
) -> GiStar:
    """Gi* per cell. The classes come from the two-sided normal p (classes_from="normal", exact for
    the many tests FDR corrects for) or from the permutation p ("permutation", whose smallest value
    is 1 / (permutations + 1)), BH-corrected when fdr is true."""
    x = np.asarray(x, float)
    n = len(x)
    if n < MIN_CELLS:
        raise HotspotError(f"Only {n} cells: Gi* needs at least {MIN_CELLS}. Use smaller cells or a larger area.")
    counts = np.asarray(w.sum(axis=1)).ravel()
    alone = int((counts <= 1).sum())
    if alone:
        raise HotspotError(
            f"NEIGHBOURHOOD: {alone} of {n} cells have no neighbour within the band; widen the band or use k nearest."
        )
    mean, sd = x.mean(), x.std()
    if sd == 0:
        raise HotspotError("Every cell has the same value: there is nothing to test.")
    lag = w @ x
    squares = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    z = (lag - mean * counts) / (sd * np.sqrt((n * squares - counts**2) / (n - 1)))
    p_norm = 1.0 - need("scipy.stats").norm.cdf(np.abs(z))
    p_sim = (
        _permutation_p(x, lag, counts.astype(int), permutations, seed, progress, chunk)
        if permutations
        else np.full(n, np.nan)
    )
    base = p_sim if classes_from == "permutation" else p_norm
    p_two = np.minimum(1.0, 2.0 * base)
    p_fdr = benjamini_hochberg(p_two) if fdr else p_two
    return GiStar(z, p_norm, p_sim, p_fdr, classify(z, p_fdr), counts)


def _permutation_p(x, lag, counts, permutations, seed, progress, chunk):
    """Conditional randomization: cell i keeps its value, its W_i - 1 neighbours are drawn from the
    other n - 1 cells (the same draws for every cell, as esda's crand does)."""
    n = len(x)
    rng = np.random.default_rng(seed)
    k_max = int(counts.max()) - 1
    draws = np.stack([rng.choice(n - 1, size=k_max, replace=False) for _ in range(permutations)])
    larger = np.zeros(n)
    for start in range(0, n, chunk):
        progress.check()
        progress.report(start / n, f"permutations: {start} of {n} cells")
        cells = np.arange(start, min(n, start + chunk))
        for k in np.unique(counts[cells]):
            group = cells[counts[cells] == k]
            ids = draws[None, :, : k - 1] + 0  # (1, P, k-1)
            ids = ids + (ids >= group[:, None, None])  # skip the cell itself
            simulated = x[group][:, None] + x[ids].sum(axis=2)  # (cells, P)
            larger[group] = (simulated >= lag[group][:, None]).sum(axis=1)
    folded = np.minimum(larger, permutations - larger)
    return (folded + 1.0) / (permutations + 1.0)


def benjamini_hochberg(p) -> np.ndarray:
    p = np.asarray(p, float)
    n = len(p)
    order = np.argsort(p)
    scaled = p[order] * n / np.arange(1, n + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def classify(z, p) -> list:
    labels = []
    for zi, pi in zip(z, p):
        label = "not significant"
        for level, name in LEVELS:
            if pi <= level:
                label = f"{'hot' if zi > 0 else 'cold'} {name}"
                break
        labels.append(label)
    return labels
