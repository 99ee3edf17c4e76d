"""core.price_validation on the real Vienna Airbnb prices and on data with a known answer."""

import csv

import numpy as np
import pytest
from conftest import shared_path

from scenic_heatmap.core.stats import prices as pv


@pytest.fixture(scope="module")
def airbnb():
    path = shared_path("data", "prices", "airbnb_vienna_weekdays.csv")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return (
        np.array([float(r["lng"]) for r in rows]),
        np.array([float(r["lat"]) for r in rows]),
        np.array([float(r["realSum"]) for r in rows]),
    )


def test_the_extreme_listing_is_flagged_and_each_method_reports_it(airbnb):
    _, _, price = airbnb
    keep, used, report = pv.handle_outliers(price, "exclude")
    assert report.flagged >= 1 and 13664 == pytest.approx(max(report.examples), abs=1)
    assert not keep[price.argmax()] and keep.sum() == len(price) - report.flagged
    assert report.lower < np.median(price) < report.upper < 13000
    _, clipped, _ = pv.handle_outliers(price, "winsorize")
    assert clipped.max() == pytest.approx(report.upper)
    keep_all, _, _ = pv.handle_outliers(price, "keep")
    assert keep_all.all()
    assert "left out" in report.describe() and "13664" in report.describe()


def test_photo_density_near_the_centre_tracks_airbnb_prices(airbnb):
    lon, lat, price = airbnb
    keep, price, _ = pv.handle_outliers(price, "exclude")
    # photo fixture: 600 photos around the old town's sights, 150 scattered over the city
    rng = np.random.default_rng(3)
    sights = np.array([[16.3725, 48.2085], [16.3656, 48.2100], [16.3590, 48.2040], [16.3800, 48.2030]])
    pick = sights[rng.integers(0, 4, 600)]
    photo_lon = np.r_[pick[:, 0] + rng.normal(0, 0.004, 600), rng.uniform(16.25, 16.50, 150)]
    photo_lat = np.r_[pick[:, 1] + rng.normal(0, 0.003, 600), rng.uniform(48.12, 48.30, 150)]
    to_m = np.array([111320 * np.cos(np.radians(48.2)), 110570])  # local metres are enough here
    density = pv.kernel_counts(lon * to_m[0], lat * to_m[1], photo_lon * to_m[0], photo_lat * to_m[1], 1000)
    x, y = density[keep], price[keep]
    overall = pv.correlations(x, y, permutations=999)
    assert overall["n"] == keep.sum()
    assert overall["spearman"] > 0.1 and overall["spearman_p"] < 0.01
    assert 0 < overall["pearson_p"] <= 1
    table = pv.binned_table(x, y)
    assert sum(row["n"] for row in table) == len(x)
    assert all(row["ci_low"] <= row["price_mean"] <= row["ci_high"] for row in table)
    assert table[-1]["price_mean"] > table[0]["price_mean"]
    png = pv.chart_png(x, y, table, "photos", "price")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_kernel_counts_weigh_by_distance():
    counts = pv.kernel_counts([0, 0, 500], [0, 0, 0], [0, 50, 300], [0, 0, 0], 100)
    assert counts[0] == pytest.approx(1 + (1 - 0.25) ** 2)
    assert counts[2] == 0


def test_monotonic_verdicts():
    def table(means):
        return [
            {"price_mean": m, "photo_mean": float(i), "ci_low": m - 1, "ci_high": m + 1} for i, m in enumerate(means)
        ]

    verdict = pv.monotonicity(table([1, 2, 3, 4, 5]))["verdict"]
    assert verdict.startswith("strictly monotonically increasing, almost linear")
    assert pv.monotonicity(table([1, 2, 10, 11, 30]))["verdict"].startswith("strictly monotonically increasing (")
    assert pv.monotonicity(table([1, 3, 2, 5, 6, 8]))["verdict"].startswith("mostly increasing")
    assert pv.monotonicity(table([5, 1, 6, 2, 5]))["verdict"].startswith("not monotonic")


def test_within_districts_tells_areas_from_hot_spots():
    rng = np.random.default_rng(9)
    districts = np.repeat(np.arange(6), 80)
    photos = districts * 10 + rng.uniform(0, 10, len(districts))
    area_only = 100 + 20 * districts + rng.normal(0, 5, len(districts))  # price set by district alone
    areal = pv.district_analysis(photos, area_only, districts, permutations=499)
    assert abs(areal["within_spearman"]) < 0.15 and areal["within_p"] > 0.01
    assert areal["between_spearman"] == pytest.approx(1.0)
    assert "areas" in pv.interpretation(areal)
    local = pv.district_analysis(photos, 100 + 8 * photos + rng.normal(0, 5, len(photos)), districts, permutations=499)
    assert local["within_spearman"] > 0.5 and local["within_p"] < 0.01
    assert "hot spots" in pv.interpretation(local)


def test_report_escapes_user_strings():
    result = pv.ValidationResult(
        np.ones(3, bool),
        np.ones(3),
        pv.OutlierReport("exclude", 1, 2, 0),
        {"n": 3, "spearman": 0.5, "spearman_p": 0.1, "pearson": 0.4, "pearson_p": 0.2},
        [],
        {"verdict": "x"},
        {
            "districts": [{"district": "<img src=x onerror=alert(1)>", "n": 1}],
            "within_spearman": None,
            "within_p": None,
            "within_n": 0,
            "between_spearman": None,
            "between_p": None,
        },
    )
    report = pv.report_html("<script>alert(1)</script>", {"price field": "<b>x</b>"}, result, 0, b"png")
    assert "<script>" not in report and "<img src=x" not in report and "&lt;script&gt;" in report


def test_validate_runs_the_whole_chain_and_finds_a_rising_curve():
    rng = np.random.default_rng(5)
    photos = rng.gamma(2.0, 3.0, 400)
    prices = 100 + 10 * photos + rng.normal(0, 5, 400)
    prices[7] = 1e6  # one extreme price
    names = [f"d{i % 4}" if i % 10 else None for i in range(400)]
    result = pv.validate(photos, prices, names, "exclude", bins=8, permutations=199, seed=2)
    assert result.outliers.flagged >= 1 and not result.keep[7]
    assert result.overall["spearman"] > 0.9 and len(result.table) == 8
    assert "increasing" in result.verdict["verdict"]
    assert result.outside_districts == 40 and result.district["within_n"] > 300
    assert "Spearman rho" in result.summary()


def test_too_little_data_is_a_clear_error():
    with pytest.raises(pv.ValidationError):
        pv.correlations([1, 1, 1], [1, 2, 3])


def smooth_field(xy, rho, rng):
    """A spatially autocorrelated field: (I - rho W)^-1 noise on 8-nearest-neighbour weights."""
    from scipy.sparse import csr_matrix, identity
    from scipy.sparse.linalg import spsolve
    from scipy.spatial import cKDTree

    n = len(xy)
    _, nearest = cKDTree(xy).query(xy, k=9)
    w = csr_matrix((np.full(n * 8, 1 / 8), (np.repeat(np.arange(n), 8), nearest[:, 1:].ravel())), shape=(n, n))
    return spsolve((identity(n) - rho * w).tocsc(), rng.normal(size=n))


def test_modified_t_test_holds_its_level_where_the_naive_test_does_not():
    """Two independent smooth fields: the naive Pearson test rejects far above 5 %, Dutilleul's
    modified t-test stays near it; with white noise the effective sample size is close to n."""
    from scipy.stats import pearsonr

    naive, modified, effective = [], [], []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        xy = rng.uniform(0, 10_000, (300, 2))
        x, y = smooth_field(xy, 0.9, rng), smooth_field(xy, 0.9, rng)
        naive.append(pearsonr(x, y)[1] < 0.05)
        result = pv.modified_t_test(x, y, xy[:, 0], xy[:, 1])
        modified.append(result["p"] < 0.05)
        effective.append(result["effective_n"])
    print(f"naive {np.mean(naive):.2f}, modified {np.mean(modified):.2f}, median n_eff {np.median(effective):.0f}")
    assert np.mean(naive) >= 0.2
    assert np.mean(modified) <= 0.1
    assert np.median(effective) < 150
    rng = np.random.default_rng(99)
    xy = rng.uniform(0, 10_000, (300, 2))
    white = pv.modified_t_test(rng.normal(size=300), rng.normal(size=300), xy[:, 0], xy[:, 1])
    assert 200 < white["effective_n"] <= 300


def test_permutation_p_at_its_floor_is_a_bound():
    assert pv.format_p(1 / 2001, 2000) == "< 1/2001 (0.0005)"
    assert pv.format_p(0.0123, 2000) == "0.0123"
