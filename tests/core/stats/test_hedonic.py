"""The hedonic price model (core/stats/hedonic.py), tested statistically: planted effects and
confounders over seeds, false-positive rates, and equality with direct library calls."""

import warnings

import numpy as np
import pytest

from scenic_heatmap.core.stats import hedonic as h
from scenic_heatmap.core.stats import hedonic_report as report

warnings.filterwarnings("ignore", category=UserWarning)  # libpysal: "geopandas not available"


def knn_matrix(coords, k=8):
    return h.weights(coords, k).sparse.tocsc()


def sar(w_sparse, rho, noise):
    """(I - rho W)^-1 noise: a spatially autocorrelated field."""
    from scipy.sparse import identity
    from scipy.sparse.linalg import spsolve

    return spsolve((identity(w_sparse.shape[0]) - rho * w_sparse).tocsc(), noise)


def world(seed, n=400, beta=0.1, lam=0.6, confounded=False, null_smooth=False):
    """Listings on a 10 km square: capacity and room type as controls, a photo variable, a price."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10_000, (n, 2))
    w = knn_matrix(xy)
    capacity = rng.integers(1, 7, n).astype(float)
    room = rng.choice(["Entire home", "Private room", "Shared room"], n, p=[0.6, 0.33, 0.07]).astype(object)
    own = 0.08 * capacity - 0.4 * (room == "Private room") - 0.7 * (room == "Shared room")
    distance_km = np.hypot(xy[:, 0] - 5000, xy[:, 1] - 5000) / 1000
    if confounded:  # photos fall with distance to the centre; prices follow the distance only
        photo = np.exp(3.0 - 0.5 * distance_km + rng.normal(0, 0.5, n))
        log_price = 4.5 + own - 0.15 * distance_km + rng.normal(0, 0.25, n)
    elif null_smooth:  # a smooth photo variable that has nothing to do with the price
        photo = np.exp(2.0 + sar(w, 0.95, rng.normal(0, 0.5, n)))
        log_price = 4.5 + own + sar(w, lam, rng.normal(0, 0.3, n))
    else:
        photo = np.exp(rng.normal(2.0, 1.0, n))
        log_price = 4.5 + own + beta * np.log1p(photo) + sar(w, lam, rng.normal(0, 0.3, n))
    data = h.PriceData(np.exp(log_price), {"photo": photo}, xy[:, 0], xy[:, 1], {"capacity": capacity, "room": room})
    return data, distance_km


def test_planted_effect_is_covered_by_the_spatial_error_model():
    """beta = 0.1 with SAR(0.6) errors: the 95 % CI of the spatial error model covers it in >= 90 %
    of 50 seeded replications (nominal 95 %)."""
    covered = []
    for seed in range(50):
        data, _ = world(seed)
        result = h.fit_price_model(data, h.Settings(spatial="error"))
        e = result.photo()
        covered.append(e.ci_low <= 0.1 <= e.ci_high)
        assert result.final.spatial_param > 0.3  # lambda is found
    print(f"coverage of the planted beta: {np.mean(covered):.2f}")
    assert np.mean(covered) >= 0.9, np.mean(covered)


def test_planted_confounder_is_explained_by_location():
    """Prices follow the distance to a centre only, photos fall with it: the photo correlation is
    'significant', but with the centre as a control the effect is not, and the verdict says location."""
    from scipy.stats import pearsonr

    naive, controlled, verdicts = [], [], []
    for seed in range(40):
        data, _ = world(seed, confounded=True)
        naive.append(pearsonr(np.log1p(data.photo["photo"]), np.log(data.price))[1] < 0.05)
        data.centre = (5000.0, 5000.0)
        result = h.fit_price_model(data, h.Settings(spatial="auto"))
        controlled.append(result.photo().p < 0.05)
        verdicts.append(result.verdict)
    print(f"confounder: naive correlation significant {np.mean(naive):.2f}, with CENTRE {np.mean(controlled):.2f}")
    assert np.mean(naive) >= 0.9
    assert np.mean(controlled) <= 0.1, np.mean(controlled)
    assert sum(v == h.VERDICT_LOCATION for v in verdicts) >= 0.9 * len(verdicts)


def test_false_positive_rates_naive_ols_against_auto():
    """A smooth photo variable unrelated to price, with SAR(0.6) errors: naive OLS rejects far more
    often than 5 %; SPATIAL auto stays at or below 10 %. (README: 'Honest p-values'.)"""
    naive, auto = [], []
    for seed in range(80):
        data, _ = world(1000 + seed, null_smooth=True)
        result = h.fit_price_model(data, h.Settings(spatial="auto"))
        naive.append(result.ladder[0].term("photo").p < 0.05)
        auto.append(result.photo().p < 0.05)
    naive_rate, auto_rate = np.mean(naive), np.mean(auto)
    print(f"false-positive rate: naive OLS {naive_rate:.2f}, SPATIAL auto {auto_rate:.2f}")
    assert naive_rate >= 0.2
    assert auto_rate <= 0.1


def test_coefficients_equal_direct_library_calls():
    import spreg
    import statsmodels.api as sm

    data, distance = world(7)
    data.centre = (5000.0, 5000.0)
    result = h.fit_price_model(data, h.Settings(spatial="error"))
    capacity, room = data.controls["capacity"], data.controls["room"]
    columns = [
        np.log1p(data.photo["photo"]),
        capacity,
        (room == "Private room").astype(float),
        (room == "Shared room").astype(float),
        distance,
    ]
    exog = np.column_stack([np.ones(len(capacity))] + columns)
    ols = sm.OLS(np.log(data.price), exog).fit(cov_type="HC1")
    step = next(f for f in result.ladder if f.name == h.STEP_LOCATION)
    assert [e.estimate for e in step.estimates] == pytest.approx(list(ols.params), rel=1e-9)
    assert [e.std_error for e in step.estimates] == pytest.approx(list(ols.bse), rel=1e-9)
    w = h.weights(np.column_stack([data.x, data.y]), 8)
    direct = spreg.ML_Error(np.log(data.price)[:, None], np.column_stack(columns), w, method="LU")
    assert [e.estimate for e in result.final.estimates] == pytest.approx(list(direct.betas.ravel()), rel=1e-7)
    assert result.final.term("photo").std_error == pytest.approx(float(np.sqrt(direct.vm[1, 1])), rel=1e-7)
    assert result.diagnostics.moran_i > 0.1  # SAR(0.6) errors leave autocorrelated OLS residuals


def test_lag_model_impacts_use_the_mean_diagonal_of_the_inverse():
    data, _ = world(3, n=300)
    w = h.weights(np.column_stack([data.x, data.y]), 8)
    moments = h.trace_moments(w)
    dense = w.full()[0]
    for rho in (0.2, 0.5, 0.7):
        exact = np.trace(np.linalg.inv(np.eye(len(dense)) - rho * dense)) / len(dense)
        assert h._multipliers(moments, rho)[0] == pytest.approx(exact, rel=2e-3)
    result = h.fit_price_model(data, h.Settings(spatial="lag"))
    terms = {e.term for e in result.final.estimates}
    assert {"photo (direct)", "photo (indirect)", "photo (total)", "rho"} <= terms
    assert result.photo().term == "photo (direct)"


def test_smooth_term_curve_is_monotone_for_a_linear_truth():
    data, _ = world(11, n=600, beta=0.3, lam=0.0)
    result = h.fit_price_model(data, h.Settings(spatial="ols", photo_term="smooth"))
    rows = [r for r in result.effect if r["variable"] == "photo"]
    assert len(rows) == h.EFFECT_POINTS and rows[0]["effect"] == 0
    effects = np.array([r["effect"] for r in rows])
    truth = 0.3 * (np.log1p([r["photo_value"] for r in rows]) - np.log1p(rows[0]["photo_value"]))
    inside = [r["ci_low"] - 1e-9 <= t <= r["ci_high"] + 1e-9 for r, t in zip(rows, truth)]
    assert np.mean(inside) >= 0.9
    assert effects[-1] > effects[len(effects) // 4] > 0


def test_split_audience_gives_two_photo_terms():
    data, _ = world(5)
    rng = np.random.default_rng(5)
    data.photo = {"photo_locals": data.photo["photo"], "photo_tourists": np.exp(rng.normal(1, 1, len(data.price)))}
    result = h.fit_price_model(data, h.Settings(spatial="error"))
    assert result.photo_terms == ["photo_locals", "photo_tourists"]
    assert result.final.term("photo_locals") and result.final.term("photo_tourists")
    assert result.verdicts["photo_locals"] == h.VERDICT_PRICED
    assert "beauty" in result.verdict or result.verdicts["photo_tourists"] == h.VERDICT_PRICED


def test_bad_input_is_named():
    data, _ = world(1, n=60)
    data.controls["constant"] = np.ones(60)
    with pytest.raises(h.HedonicError, match="constant"):
        h.fit_price_model(data)
    data, _ = world(1, n=60)
    data.controls["capacity_again"] = data.controls["capacity"] * 2
    with pytest.raises(h.HedonicError, match="collinear"):
        h.fit_price_model(data)
    data, _ = world(1, n=10)
    for j in range(6):
        data.controls[f"extra{j}"] = np.random.default_rng(j).normal(size=10)
    with pytest.raises(h.HedonicError, match="more observations than terms"):
        h.fit_price_model(data, h.Settings(neighbours=2))
    data, _ = world(1, n=60)
    data.controls["capacity"] = data.controls["capacity"].copy()
    data.controls["capacity"][:5] = np.nan
    result = h.fit_price_model(data, h.Settings(spatial="ols", neighbours=4))
    assert result.skipped == {"missing control capacity": 5} and result.used.sum() == 55


def test_report_escapes_and_holds_the_ladder():
    data, _ = world(2, n=200)
    data.controls["room"] = np.where(
        data.controls["room"] == "Shared room", "<script>x</script>", data.controls["room"]
    )
    data.centre = (5000.0, 5000.0)
    result = h.fit_price_model(data)
    page = report.report_html("<b>t</b>", {"layer": "<img src=x>"}, result, report.chart_png(result, "photos"))
    assert "<script>x" not in page and "&lt;script&gt;" in page and "<img src=x>" not in page
    for step in ("photo only", "+ controls", "+ location", "Moran"):
        assert step in page
