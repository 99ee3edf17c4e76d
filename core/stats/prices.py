"""Does photo density track prices? Binned curve, rank and linear correlation with
permutation p-values, a monotonicity verdict, the same within districts, chart and
report. QGIS-free; the Processing adapter samples the photo variable and calls these.

The study found prices rising "strictly monotonically, almost linearly" with photo
density, and left open whether photogenic *areas* are expensive or prices are high
*near hot spots*. Correlation within districts (ranks taken inside each district,
permutations inside each district) separates the two: a between-district effect
alone says "areas"; a within-district effect says "near hot spots".
"""

import html
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..errors import UserError
from ..packages import need
from ..report import Report
from ..report.page import cell, chart_bytes

OUTLIER_METHODS = ("exclude", "winsorize", "keep")
ROBUST_Z = 3.5  # Iglewicz & Hoaglin's cut-off for the modified z-score


class ValidationError(UserError):
    """Not enough data to say anything."""


# -- sampling the photo variable ------------------------------------------------------------


def kernel_counts(px, py, photo_x, photo_y, radius: float, weights=None) -> np.ndarray:
    """Quartic-kernel-weighted photo count within `radius` of each location (a photo at the
    location counts 1, one at the radius 0). Coordinates in one metric CRS."""
    px, py = np.asarray(px, float), np.asarray(py, float)
    result = np.zeros(len(px))
    if len(photo_x) == 0 or len(px) == 0:
        return result
    weights = np.ones(len(photo_x)) if weights is None else np.asarray(weights, float)
    tree = need("scipy.spatial").cKDTree(np.column_stack([photo_x, photo_y]))
    photo_xy = tree.data
    for i, near in enumerate(tree.query_ball_point(np.column_stack([px, py]), r=radius)):
        if near:
            d2 = ((photo_xy[near] - (px[i], py[i])) ** 2).sum(axis=1) / radius**2
            result[i] = float((weights[near] * (1.0 - d2) ** 2).sum())
    return result


# -- outliers ---------------------------------------------------------------------------------


@dataclass
class OutlierReport:
    method: str
    lower: float
    upper: float
    flagged: int
    examples: List[float] = field(default_factory=list)  # the most extreme flagged prices

    def describe(self) -> str:
        rule = (
            f"modified z-score of log price above {ROBUST_Z} (median/MAD): plausible range "
            f"{self.lower:.4g} to {self.upper:.4g}"
        )
        if not self.flagged:
            return f"No outliers by the rule ({rule})."
        shown = ", ".join(f"{v:.6g}" for v in self.examples)
        action = {"exclude": "left out", "winsorize": "clipped to the range", "keep": "kept as they are"}[self.method]
        return f"{self.flagged} price(s) flagged ({rule}) and {action}; most extreme: {shown}."


def handle_outliers(prices, method: str = "exclude"):
    """(kept mask, prices to use, report). Flags prices whose log lies more than ROBUST_Z
    robust standard deviations from the median: scale-free and untouched by the outliers."""
    if method not in OUTLIER_METHODS:
        raise ValidationError(f"Unknown outlier handling {method!r}; use one of {', '.join(OUTLIER_METHODS)}.")
    prices = np.asarray(prices, float)
    positive = prices > 0
    logs = np.log(np.where(positive, prices, np.nan))
    centre = np.nanmedian(logs)
    mad = np.nanmedian(np.abs(logs - centre))
    if not np.isfinite(mad) or mad == 0:
        lower, upper = -np.inf, np.inf
    else:
        spread = ROBUST_Z * mad / 0.6745
        lower, upper = float(np.exp(centre - spread)), float(np.exp(centre + spread))
    flagged = (prices < lower) | (prices > upper) | ~positive
    distance = np.abs(np.log(np.maximum(prices[flagged], 1e-300)) - centre)
    extreme = prices[flagged][np.argsort(-distance)][:3]
    report = OutlierReport(method, lower, upper, int(flagged.sum()), [float(v) for v in extreme])
    if method == "exclude":
        return ~flagged, prices, report
    if method == "winsorize":
        return positive, np.clip(prices, lower, upper), report
    return np.ones(len(prices), dtype=bool), prices, report


# -- statistics -----------------------------------------------------------------------------


def rank_bins(x, bins: int = 10) -> np.ndarray:
    """Bin 0..bins-1 by quantile of x; tied values always share a bin, so with many ties
    (e.g. zero density) there are fewer, larger bins."""
    ranks = need("scipy.stats").rankdata(x, method="average")
    return np.minimum((np.ceil(ranks / len(x) * bins) - 1).astype(int), bins - 1)


def bootstrap_ci(values, rng, resamples: int = 2000, level: float = 0.95):
    values = np.asarray(values, float)
    if len(values) < 2:
        return float("nan"), float("nan")
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(low), float(high)


def binned_table(x, y, bins: int = 10, resamples: int = 2000, seed: int = 1) -> List[dict]:
    """Per quantile bin of x: n, x range and mean, mean and median of y, bootstrap 95 % CI of the mean."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    rng = np.random.default_rng(seed)
    which = rank_bins(x, bins)
    table = []
    for number, b in enumerate(np.unique(which), start=1):
        inside = which == b
        low, high = bootstrap_ci(y[inside], rng, resamples)
        table.append(
            {
                "bin": number,
                "n": int(inside.sum()),
                "photo_min": float(x[inside].min()),
                "photo_max": float(x[inside].max()),
                "photo_mean": float(x[inside].mean()),
                "price_mean": float(y[inside].mean()),
                "price_median": float(np.median(y[inside])),
                "ci_low": low,
                "ci_high": high,
            }
        )
    return table


def _rows_pearson(a, b_rows):
    """Pearson r of vector a with every row of b_rows."""
    a = a - a.mean()
    b = b_rows - b_rows.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a**2).sum() * (b**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (b @ a) / denominator


def _permuted(y, rng, permutations: int, groups=None):
    """Rows of y shuffled, within groups when given."""
    rows = np.tile(y, (permutations, 1))
    if groups is None:
        return rng.permuted(rows, axis=1)
    for g in np.unique(groups):
        inside = np.flatnonzero(groups == g)
        rows[:, inside] = rng.permuted(rows[:, inside], axis=1)
    return rows


def permutation_p(x, y, observed: float, permutations: int, seed: int, groups=None) -> float:
    """Two-sided p of Pearson r(x, y) >= |observed| under shuffling y (within groups)."""
    rng = np.random.default_rng(seed)
    extreme, done = 0, 0
    while done < permutations:  # in blocks, so memory stays small for long inputs
        block = min(500, permutations - done)
        r = _rows_pearson(np.asarray(x, float), _permuted(np.asarray(y, float), rng, block, groups))
        extreme += int((np.abs(np.nan_to_num(r)) >= abs(observed) - 1e-12).sum())
        done += block
    return (extreme + 1.0) / (permutations + 1.0)


def correlations(x, y, permutations: int = 2000, seed: int = 1) -> Dict[str, float]:
    """Spearman rho and Pearson r, each with a permutation p-value."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValidationError("Too few distinct values to correlate (need 3 or more locations that differ).")
    rx, ry = need("scipy.stats").rankdata(x), need("scipy.stats").rankdata(y)
    rho = float(need("scipy.stats").pearsonr(rx, ry)[0])  # Spearman = Pearson of ranks (ties averaged)
    r = float(need("scipy.stats").pearsonr(x, y)[0])
    return {
        "n": len(x),
        "spearman": rho,
        "spearman_p": permutation_p(rx, ry, rho, permutations, seed),
        "pearson": r,
        "pearson_p": permutation_p(x, y, r, permutations, seed + 1),
    }


def format_p(p: float, permutations: int) -> str:
    """A permutation p as text: at its floor 1/(B+1) it is a bound, not a value."""
    floor = 1.0 / (permutations + 1.0)
    if p <= floor * (1 + 1e-9):
        return f"< 1/{permutations + 1} ({floor:.2g})"
    return f"{p:.4g}"


def modified_t_test(x, y, xs, ys, max_n: int = 5000, seed: int = 1) -> Dict[str, float]:
    """Dutilleul's (1993) modified t-test of Pearson r between two spatially autocorrelated variables.

    Each variable's covariance matrix is estimated from its autocovariance in distance classes
    (Sturges' number of equal-width classes); var(r) = tr(Sx Sy) / (tr Sx tr Sy), and the effective
    sample size 1 + 1/var(r) replaces n in the F test. Above max_n locations a seeded subsample of
    max_n estimates the effective sample size (the pair sums are O(n²))."""
    stats = need("scipy.stats")
    x, y = np.asarray(x, float), np.asarray(y, float)
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    n_all = len(x)
    r = float(stats.pearsonr(x, y)[0])
    pick = np.arange(n_all)
    if n_all > max_n:
        pick = np.sort(np.random.default_rng(seed).choice(n_all, max_n, replace=False))
    zx, zy = x[pick] - x[pick].mean(), y[pick] - y[pick].mean()
    px, py = xs[pick], ys[pick]
    n = len(pick)
    classes = int(np.ceil(1 + np.log2(n)))
    span = np.hypot(np.ptp(px), np.ptp(py)) * (1 + 1e-9) or 1.0
    sums_x, sums_y, counts = np.zeros(classes), np.zeros(classes), np.zeros(classes)
    for start in range(0, n - 1, 512):  # pairs i < j, in blocks of rows
        rows = np.arange(start, min(start + 512, n - 1))
        d = np.hypot(px[rows, None] - px[None, :], py[rows, None] - py[None, :])
        upper = np.arange(n)[None, :] > rows[:, None]
        which = np.minimum((d[upper] / span * classes).astype(int), classes - 1)
        counts += np.bincount(which, minlength=classes)
        sums_x += np.bincount(which, (zx[rows, None] * zx[None, :])[upper], minlength=classes)
        sums_y += np.bincount(which, (zy[rows, None] * zy[None, :])[upper], minlength=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov_x = np.where(counts > 0, sums_x / counts, 0.0)
        cov_y = np.where(counts > 0, sums_y / counts, 0.0)
    var_x, var_y = (zx**2).mean(), (zy**2).mean()
    trace_xy = n * var_x * var_y + 2.0 * (counts * cov_x * cov_y).sum()
    var_r = trace_xy / (n * var_x * n * var_y)
    effective = float(np.clip(1.0 + 1.0 / var_r, 3.0, n_all)) if var_r > 0 else float(n_all)
    f = (effective - 2.0) * r**2 / max(1.0 - r**2, 1e-300)
    p = float(stats.f.sf(f, 1.0, effective - 2.0))
    return {"r": r, "effective_n": effective, "p": p, "n": n_all, "subsample": n if n < n_all else None}


def within_ranks(values, groups) -> np.ndarray:
    """Percentile rank of each value inside its group."""
    values = np.asarray(values, float)
    result = np.empty(len(values))
    for g in np.unique(groups):
        inside = np.flatnonzero(groups == g)
        result[inside] = (need("scipy.stats").rankdata(values[inside]) - 0.5) / len(inside)
    return result


def district_analysis(x, y, districts, permutations: int = 2000, seed: int = 1, min_n: int = 10) -> dict:
    """Per district rho; the pooled within-district rho (ranks and permutations inside districts);
    the between-district rho of district medians. Districts with fewer than min_n prices are
    listed but left out of the pooled statistics."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    districts = np.asarray([str(d) for d in districts], dtype=object)
    rows, usable = [], np.zeros(len(x), dtype=bool)
    for name in sorted(set(districts)):
        inside = districts == name
        row = {
            "district": name,
            "n": int(inside.sum()),
            "price_median": float(np.median(y[inside])),
            "photo_median": float(np.median(x[inside])),
            "spearman": None,
        }
        if inside.sum() >= min_n and np.ptp(x[inside]) > 0 and np.ptp(y[inside]) > 0:
            row["spearman"] = float(need("scipy.stats").spearmanr(x[inside], y[inside])[0])
            usable |= inside
        rows.append(row)
    result = {
        "districts": rows,
        "within_spearman": None,
        "within_p": None,
        "within_n": int(usable.sum()),
        "between_spearman": None,
        "between_p": None,
    }
    if usable.sum() >= 3:
        groups = districts[usable]
        wx, wy = within_ranks(x[usable], groups), within_ranks(y[usable], groups)
        rho = float(need("scipy.stats").pearsonr(wx, wy)[0])
        result["within_spearman"] = rho
        result["within_p"] = permutation_p(wx, wy, rho, permutations, seed + 2, groups=groups)
    medians = [r for r in rows if r["n"] >= min_n]
    mx = np.array([r["photo_median"] for r in medians])
    my = np.array([r["price_median"] for r in medians])
    if len(medians) >= 4 and np.ptp(mx) > 0 and np.ptp(my) > 0:
        rx, ry = need("scipy.stats").rankdata(mx), need("scipy.stats").rankdata(my)
        rho = float(need("scipy.stats").pearsonr(rx, ry)[0])
        result["between_spearman"] = rho
        result["between_p"] = permutation_p(rx, ry, rho, permutations, seed + 3)
    return result


def monotonicity(table: Sequence[dict]) -> dict:
    """Verdict on the binned curve (mean price per bin, in bin order)."""
    means = np.array([row["price_mean"] for row in table])
    centres = np.array([row["photo_mean"] for row in table])
    if len(means) < 3:
        return {
            "verdict": "too few bins to judge (the photo variable has too many ties)",
            "steps_up": 0,
            "steps_down": 0,
            "bins_rho": None,
            "linear_r2": None,
            "ci_separated": False,
        }
    steps = np.diff(means)
    up, down = int((steps > 0).sum()), int((steps < 0).sum())
    bins_rho = float(need("scipy.stats").spearmanr(np.arange(len(means)), means)[0])
    fit = need("scipy.stats").linregress(centres, means) if np.ptp(centres) > 0 else None
    r2 = float(fit.rvalue**2) if fit is not None else None
    separated = table[-1]["ci_low"] > table[0]["ci_high"] or table[-1]["ci_high"] < table[0]["ci_low"]
    if down == 0:
        shape = "strictly monotonically increasing"
    elif up == 0:
        shape = "strictly monotonically decreasing"
    elif bins_rho >= 0.8:
        shape = f"mostly increasing ({down} of {len(steps)} steps down)"
    elif bins_rho <= -0.8:
        shape = f"mostly decreasing ({up} of {len(steps)} steps up)"
    else:
        shape = "not monotonic"
    if r2 is not None and r2 >= 0.9 and shape != "not monotonic":
        shape += ", almost linear"
    shape += f" (R\u00b2 of a line through the bin means {r2:.2f})" if r2 is not None else ""
    shape += (
        "; lowest and highest bins differ beyond their 95 % CIs"
        if separated
        else "; the 95 % CIs of the lowest and highest bins overlap"
    )
    return {
        "verdict": shape,
        "steps_up": up,
        "steps_down": down,
        "bins_rho": bins_rho,
        "linear_r2": r2,
        "ci_separated": bool(separated),
    }


def interpretation(district: Optional[dict]) -> str:
    """One plain sentence on areas vs hot spots, from the district analysis."""
    if not district or district.get("within_spearman") is None:
        return "No district analysis (no districts given, or too few prices per district)."
    within, wp = district["within_spearman"], district["within_p"]
    between, bp = district.get("between_spearman"), district.get("between_p")
    local = wp < 0.05 and within > 0
    areal = between is not None and bp < 0.05 and between > 0
    if local and areal:
        return (
            "Both: photogenic districts are more expensive, and within a district prices are higher "
            "nearer the photo hot spots."
        )
    if local:
        return "Within districts prices are higher nearer the photo hot spots (a local effect)."
    if areal:
        return (
            "Photogenic districts are more expensive, but within a district prices do not follow photo "
            "density: an effect of areas, not of nearness to hot spots."
        )
    return "Neither the within-district nor the between-district relation is significant at 5 %."


# -- chart and report -------------------------------------------------------------------------


def chart_png(x, y, table, x_label: str, y_label: str) -> bytes:
    """Scatter of locations, mean per bin with its 95 % CI band, median per bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7.5, 4.8), dpi=110)
    axis.scatter(x, y, s=6, alpha=0.25, color="#888888", label="locations", linewidths=0)
    centres = [row["photo_mean"] for row in table]
    axis.fill_between(
        centres,
        [row["ci_low"] for row in table],
        [row["ci_high"] for row in table],
        color="#fd8d3c",
        alpha=0.35,
        label="95 % CI of the mean (bootstrap)",
    )
    axis.plot(centres, [row["price_mean"] for row in table], "o-", color="#bd0026", label="mean per bin")
    axis.plot(
        centres, [row["price_median"] for row in table], "s--", color="#54278f", markersize=4, label="median per bin"
    )
    upper = max(row["ci_high"] for row in table if np.isfinite(row["ci_high"])) if table else None
    if upper:
        axis.set_ylim(0, upper * 2.0)  # the band, not the scatter's extremes, sets the scale
    axis.set_xlabel(x_label)
    axis.set_ylabel(y_label)
    axis.set_title("Price against photo density, by quantile bin")
    axis.legend(loc="upper left", fontsize=8)
    axis.grid(alpha=0.3)
    return chart_bytes(figure)


def report_html(title: str, inputs: Dict[str, str], result: "ValidationResult", skipped: int, chart: bytes) -> str:
    """A self-contained HTML report (core/report); every user-supplied string is escaped."""
    overall, district = result.overall, result.district
    page = Report(title).facts(inputs).heading("Correlation")
    b = result.permutations
    page.raw(
        f"<p>{overall['n']} price locations. Spearman &rho; = {overall['spearman']:.3f} "
        f"(permutation p {html.escape(format_p(overall['spearman_p'], b))}); Pearson r = {overall['pearson']:.3f} "
        f"(permutation p {html.escape(format_p(overall['pearson_p'], b))}).</p>"
    )
    if result.modified:
        page.paragraph(modified_sentence(result.modified), bold="Spatial autocorrelation:")
    page.paragraph(result.verdict["verdict"] + ".", bold="Binned curve:")
    page.paragraph(f"{result.outliers.describe()} Missing prices skipped: {skipped}.", bold="Outliers:")
    page.image(chart, "price against photo density")
    page.heading("By photo-density bin").table(
        result.table,
        ["bin", "n", "photo_min", "photo_max", "photo_mean", "price_mean", "price_median", "ci_low", "ci_high"],
    )
    if district:
        page.heading("Within and between districts")
        page.paragraph(
            f"Within districts (ranks inside each district, {district['within_n']} locations): rho = "
            f"{cell(district['within_spearman'], 3)}, permutation p = {cell(district['within_p'])}. "
            f"Between districts (district medians): rho = {cell(district['between_spearman'], 3)}, "
            f"p = {cell(district['between_p'])}."
        )
        page.paragraph(interpretation(district))
        page.table(district["districts"], ["district", "n", "photo_median", "price_median", "spearman"])
    return page.render()


@dataclass
class ValidationResult:
    """Everything validateprices reports: the outlier handling, correlations, bins, the curve's
    verdict and the optional district analysis."""

    keep: np.ndarray  # locations used after the outlier rule
    prices: np.ndarray  # prices as used (winsorized where that rule is chosen)
    outliers: OutlierReport
    overall: Dict[str, float]
    table: List[dict]
    verdict: dict
    district: Optional[dict]
    outside_districts: int = 0
    modified: Optional[dict] = None  # Dutilleul's modified t-test of Spearman rho
    permutations: int = 2000

    def summary(self) -> str:
        o, b = self.overall, self.permutations
        text = (
            f"Spearman rho {o['spearman']:.3f} (permutation p {format_p(o['spearman_p'], b)}), Pearson r "
            f"{o['pearson']:.3f} (p {format_p(o['pearson_p'], b)}); curve: {self.verdict['verdict']}."
        )
        if self.modified:
            text += " " + modified_sentence(self.modified)
        return text


def modified_sentence(modified: dict) -> str:
    sub = f", estimated on a subsample of {modified['subsample']}" if modified.get("subsample") else ""
    return (
        f"Spatially honest p (Dutilleul's modified t-test): {modified['p']:.3g}, with an effective sample size of "
        f"{modified['effective_n']:.0f} of {modified['n']} locations{sub}. The permutation p treats every location "
        "as independent. A correlation is not a price effect: scenicheatmap:pricemodel reads the photo "
        "variable in a hedonic model with controls, location and spatial dependence."
    )


def validate(
    photo_values,
    prices,
    district_names: Optional[Sequence[Optional[str]]],
    method: str = "exclude",
    bins: int = 10,
    permutations: int = 2000,
    seed: int = 1,
    coords=None,
) -> ValidationResult:
    """The whole validation chain: outliers, correlations, bins, monotonicity, districts, and with
    coords (metres, one row per location) Dutilleul's modified t-test of the rank correlation.
    Raises ValidationError when the data cannot give a correlation."""
    photo_values = np.asarray(photo_values, dtype=float)
    if len(photo_values) < 3:
        raise ValidationError(f"Only {len(photo_values)} price locations have a usable price; need at least 3.")
    keep, used, outliers = handle_outliers(np.asarray(prices, dtype=float), method)
    x, y = photo_values[keep], used[keep]
    overall = correlations(x, y, permutations, seed)
    modified = None
    if coords is not None:
        coords = np.asarray(coords, dtype=float)[keep]
        ranks = need("scipy.stats").rankdata
        modified = modified_t_test(ranks(x), ranks(y), coords[:, 0], coords[:, 1], seed=seed)
    table = binned_table(x, y, bins, seed=seed)
    district, outside = None, 0
    if district_names is not None:
        in_district = np.array([d is not None for d in district_names])
        outside = int((~in_district).sum())
        inside = in_district & keep
        district = district_analysis(
            photo_values[inside], used[inside], [d for d, k in zip(district_names, inside) if k], permutations, seed
        )
    return ValidationResult(
        keep, used, outliers, overall, table, monotonicity(table), district, outside, modified, permutations
    )
