"""Is photo density priced? A hedonic price model with spatially honest inference. QGIS-free.

The study read the photo variable's *partial effect* in a hedonic regression, not a correlation.
This module fits the ladder a reviewer asks for, each step adding what could explain the effect:

  photo only -> + the objects' own attributes -> + location (district fixed effects and/or the
  distance to a centre) -> a spatial model (error or lag) when the residuals call for one.

Estimators come from the libraries: statsmodels (OLS with HC1 or district-clustered covariances,
B-spline bases through patsy) and PySAL's spreg (Moran's I of the residuals, the LM tests, the
spatial error and lag models); libpysal builds the k-nearest-neighbour weights. Nothing here
estimates by hand. The photo variable enters as log(1 + value), so with a log price its coefficient
is close to an elasticity: the log-price change per doubling of a dense photo variable is β·log 2.
"""

import math
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from ..errors import SILENT, Progress, UserError
from ..packages import need

SPATIAL_CHOICES = ("auto", "ols", "error", "lag")
PHOTO_TERMS = ("linear", "smooth")
ALPHA = 0.05
SPLINE_DF = 4
# ML's variance step inverts (I - λW) densely inside spreg (n² values): 1.2 GB at 4,000 prices, 1.8 GB
# at 5,000 (measured). Beyond this the GMM estimators (spreg GM_Error_Het, GM_Lag) take over.
ML_MAX_N = 4000
EFFECT_POINTS = 60

STEP_PHOTO, STEP_CONTROLS, STEP_LOCATION = "OLS photo only", "OLS + controls", "OLS + location"
VERDICT_PRICED = "priced after controls and spatial dependence"
VERDICT_LOCATION = "explained by location: the effect goes when centrality or districts enter"
VERDICT_ZERO = "not distinguishable from zero"


class HedonicError(UserError):
    """The data cannot support the model as asked."""


# -- input ---------------------------------------------------------------------------------------


@dataclass
class PriceData:
    """One row per price location; coordinates in a metric CRS (metres)."""

    price: np.ndarray
    photo: Dict[str, np.ndarray]  # term name -> photo variable (>= 0); one term, or locals and tourists
    x: np.ndarray
    y: np.ndarray
    controls: Dict[str, np.ndarray] = field(default_factory=dict)  # float (NaN missing) or object (None missing)
    district: Optional[np.ndarray] = None  # labels; None for a location in no district
    centre: Optional[tuple] = None  # (x, y) in the same metres


@dataclass
class Settings:
    log_price: bool = True
    photo_term: str = "linear"
    spatial: str = "auto"
    neighbours: int = 8
    alpha: float = ALPHA


# -- results -------------------------------------------------------------------------------------


@dataclass
class Estimate:
    term: str
    estimate: float
    std_error: float
    statistic: float
    p: float
    ci_low: float
    ci_high: float

    def __post_init__(self):  # plain floats: numpy scalars do not pass into QGIS attributes
        for name in ("estimate", "std_error", "statistic", "p", "ci_low", "ci_high"):
            setattr(self, name, float(getattr(self, name)))


@dataclass
class Fit:
    """One model of the ladder."""

    name: str  # e.g. "OLS + controls" or "spatial error (ML)"
    kind: str  # ols, error or lag
    estimates: List[Estimate]
    n: int
    r2: Optional[float]  # R² (OLS) or pseudo-R² (spatial)
    aic: Optional[float]
    covariance: str
    spatial_param: Optional[float] = None

    def term(self, name: str) -> Optional[Estimate]:
        return next((e for e in self.estimates if e.term == name), None)


@dataclass
class Diagnostics:
    moran_i: float
    moran_z: float
    moran_p: float
    lm: Dict[str, tuple]  # name -> (statistic, p)


@dataclass
class PriceModelResult:
    ladder: List[Fit]
    final: Fit
    photo_terms: List[str]  # the photo terms as they are named in the fits
    diagnostics: Diagnostics
    decision: str  # why the final model is the one it is
    verdicts: Dict[str, str]  # photo term -> verdict
    verdict: str  # one line for all photo terms
    effect: List[dict]  # variable, photo_value, effect, ci_low, ci_high
    doubling: Dict[str, dict]  # photo term -> change per doubling at the median photo value
    used: np.ndarray  # rows of the input that entered the model
    fitted: np.ndarray  # final model, model scale (log price when log_price)
    residual: np.ndarray
    skipped: Dict[str, int]  # reason -> rows left out
    levels: Dict[str, str]  # categorical control -> its reference level
    log_price: bool
    photo_values: Dict[str, np.ndarray]  # the photo variables at the rows used, as given
    notes: List[str] = field(default_factory=list)

    def photo(self, term: Optional[str] = None) -> Estimate:
        """The final model's estimate for a photo term (the direct impact for a lag model)."""
        term = term or self.photo_terms[0]
        direct = self.final.term(f"{term} (direct)")
        return direct or self.final.term(term)


# -- design --------------------------------------------------------------------------------------


def _categorical(values) -> bool:
    return np.asarray(values).dtype.kind in "OUSb"


def _missing(values) -> np.ndarray:
    values = np.asarray(values)
    if _categorical(values):
        return np.array([v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == "" for v in values])
    return ~np.isfinite(values.astype(float))


def _dummies(name: str, values) -> tuple:
    """Indicator columns for every level but the most frequent (the reference), most frequent first."""
    labels = np.asarray([str(v) for v in values], dtype=object)
    levels, counts = np.unique(labels, return_counts=True)
    order = [levels[i] for i in sorted(range(len(levels)), key=lambda i: (-counts[i], str(levels[i])))]
    reference, others = order[0], order[1:]
    columns = {f"{name}[{level}]": (labels == level).astype(float) for level in others}
    return columns, reference


@dataclass
class _Design:
    y: np.ndarray
    photo: Dict[str, np.ndarray]  # log(1 + value) per photo term
    raw_photo: Dict[str, np.ndarray]
    controls: Dict[str, np.ndarray]
    location: Dict[str, np.ndarray]
    groups: Optional[np.ndarray]  # district codes for clustered covariances
    coords: np.ndarray
    used: np.ndarray
    skipped: Dict[str, int]
    levels: Dict[str, str]


def prepare(data: PriceData, settings: Settings) -> _Design:
    """Rows with everything the model needs, and the columns of each ladder step. Raises HedonicError
    for input the model cannot use, naming the field."""
    price = np.asarray(data.price, dtype=float)
    n_all = len(price)
    keep = np.ones(n_all, dtype=bool)
    skipped = {}

    def drop(mask, reason):
        mask = mask & keep
        if mask.any():
            skipped[reason] = skipped.get(reason, 0) + int(mask.sum())
            keep[mask] = False

    drop(~np.isfinite(price), "missing price")
    if settings.log_price:
        drop(np.isfinite(price) & (price <= 0), "price not above 0 (log price)")
    for name, values in data.photo.items():
        values = np.asarray(values, dtype=float)
        drop(~np.isfinite(values), f"missing {name}")
        if (np.nan_to_num(values) < 0).any():
            raise HedonicError(f"The photo variable {name} has negative values; it must be a count or a density.")
    for name, values in data.controls.items():
        drop(_missing(values), f"missing control {name}")
    if data.district is not None:
        drop(np.array([d is None for d in data.district]), "in no district")
    drop(~(np.isfinite(data.x) & np.isfinite(data.y)), "no location")

    n = int(keep.sum())
    y = np.log(price[keep]) if settings.log_price else price[keep]
    raw_photo = {k: np.asarray(v, dtype=float)[keep] for k, v in data.photo.items()}
    for name, values in raw_photo.items():
        if n and np.ptp(values) == 0:
            raise HedonicError(
                f"The photo variable {name} is the same ({values[0]:g}) at all {n} price locations; "
                "a larger radius or another density layer is needed."
            )
    controls, levels = {}, {}
    for name, values in data.controls.items():
        values = np.asarray(values)[keep]
        if _categorical(values):
            columns, reference = _dummies(name, values)
            if not columns:
                raise HedonicError(f"The control {name!r} has one level ({reference}) in the rows used; leave it out.")
            controls.update(columns)
            levels[name] = reference
        else:
            values = values.astype(float)
            if n and np.ptp(values) == 0:
                raise HedonicError(f"The control {name!r} is constant ({values[0]:g}) in the rows used; leave it out.")
            controls[name] = values
    location, groups = {}, None
    coords = np.column_stack([np.asarray(data.x, float)[keep], np.asarray(data.y, float)[keep]])
    if data.centre is not None:
        location["centre_km"] = np.hypot(coords[:, 0] - data.centre[0], coords[:, 1] - data.centre[1]) / 1000.0
    if data.district is not None:
        labels = np.asarray([str(d) for d in np.asarray(data.district, dtype=object)[keep]], dtype=object)
        columns, reference = _dummies("district", labels)
        location.update(columns)
        levels["district"] = reference
        groups = np.unique(labels, return_inverse=True)[1]
    photo = {k: np.log1p(v) for k, v in raw_photo.items()}
    terms = 1 + len(photo) * (SPLINE_DF if settings.photo_term == "smooth" else 1) + len(controls) + len(location)
    if n <= terms + 1:
        raise HedonicError(
            f"{n} price locations are left ({_skips(skipped)}) for a model of {terms} terms; "
            "it needs more observations than terms. Use fewer controls or more prices."
        )
    if settings.neighbours >= n:
        raise HedonicError(f"NEIGHBOURS ({settings.neighbours}) must be smaller than the {n} price locations.")
    design = _Design(y, photo, raw_photo, controls, location, groups, coords, keep, skipped, levels)
    _check_rank(design)
    return design


def _skips(skipped: Dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in skipped.items()) or "none skipped"


def _check_rank(design: _Design):
    names, matrix = _columns(design, design.photo, design.controls, design.location)
    matrix = np.column_stack([np.ones(len(design.y)), matrix])
    names = ["const"] + names
    r = np.abs(np.diag(np.linalg.qr(matrix / np.maximum(np.abs(matrix).max(axis=0), 1e-300))[1]))
    weak = [names[i] for i in np.flatnonzero(r < 1e-9 * r.max())]
    if weak:
        raise HedonicError(
            "The design is collinear: " + ", ".join(weak) + " can be written from the other terms "
            "(a control that repeats another, or one district level per control value). Leave one out."
        )


def _columns(design: _Design, *blocks) -> tuple:
    names, columns = [], []
    for block in blocks:
        for name, values in block.items():
            names.append(name)
            columns.append(values)
    return names, (np.column_stack(columns) if columns else np.empty((len(design.y), 0)))


def _spline_block(photo: Dict[str, np.ndarray]) -> tuple:
    """B-spline bases (patsy bs, df SPLINE_DF) of each photo term, and the design infos to evaluate them."""
    patsy = need("patsy")
    block, infos = {}, {}
    for name, values in photo.items():
        matrix = patsy.dmatrix(f"bs(z, df={SPLINE_DF}, degree=3) - 1", {"z": values}, return_type="matrix")
        infos[name] = matrix.design_info
        for j in range(matrix.shape[1]):
            block[f"{name}_s{j + 1}"] = np.asarray(matrix[:, j])
    return block, infos


# -- fitting -------------------------------------------------------------------------------------


def _ols(design: _Design, name: str, blocks, alpha: float) -> tuple:
    sm = need("statsmodels.api")
    names, matrix = _columns(design, *blocks)
    exog = np.column_stack([np.ones(len(design.y)), matrix])
    model = sm.OLS(design.y, exog)
    if design.groups is not None:
        result = model.fit(cov_type="cluster", cov_kwds={"groups": design.groups}, use_t=True)
        covariance = f"clustered by district ({len(np.unique(design.groups))} clusters)"
    else:
        result = model.fit(cov_type="HC1")
        covariance = "heteroskedasticity-robust (HC1)"
    low, high = np.asarray(result.conf_int(alpha)).T
    estimates = [
        Estimate(term, float(b), float(se), float(t), float(p), float(lo), float(hi))
        for term, b, se, t, p, lo, hi in zip(
            ["const"] + names, result.params, result.bse, result.tvalues, result.pvalues, low, high
        )
    ]
    fit = Fit(name, "ols", estimates, len(design.y), float(result.rsquared), float(result.aic), covariance)
    return fit, result, names


def weights(coords: np.ndarray, k: int):
    """Row-standardised k-nearest-neighbour weights (libpysal)."""
    libpysal = _libpysal()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate coordinates are legitimate (several flats per house)
        w = libpysal.weights.KNN(coords, k=k)
    w.transform = "r"
    return w


def _libpysal():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "geopandas not available", "remote data sets not available"
        return need("libpysal")


def _spreg():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return need("spreg")


def diagnose(design: _Design, blocks, w) -> Diagnostics:
    """Moran's I of the OLS residuals and the LM tests (spreg's OLS on the same design)."""
    spreg = _spreg()
    names, matrix = _columns(design, *blocks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ols = spreg.OLS(design.y[:, None], matrix, w=w, spat_diag=True, moran=True, name_x=names)
    lm = {
        "LM error": tuple(map(float, ols.lm_error)),
        "LM lag": tuple(map(float, ols.lm_lag)),
        "robust LM error": tuple(map(float, ols.rlm_error)),
        "robust LM lag": tuple(map(float, ols.rlm_lag)),
        "LM SARMA": tuple(map(float, ols.lm_sarma)),
    }
    moran = ols.moran_res
    return Diagnostics(float(moran[0]), float(moran[1]), float(moran[2]), lm)


def choose(diagnostics: Diagnostics, alpha: float) -> tuple:
    """Anselin's decision rule on the LM tests: (kind, why)."""
    lm = diagnostics.lm
    err, lag = lm["LM error"][1] < alpha, lm["LM lag"][1] < alpha
    show = "; ".join(f"{k} {v[0]:.2f} (p {v[1]:.3g})" for k, v in lm.items() if k != "LM SARMA")
    if not err and not lag:
        return "ols", f"Neither LM test rejects at {alpha:g} ({show}): OLS is kept."
    if err != lag:
        kind = "error" if err else "lag"
        return kind, f"Only LM {kind} rejects at {alpha:g} ({show}): spatial {kind} model."
    r_err, r_lag = lm["robust LM error"], lm["robust LM lag"]
    if (r_err[1] < alpha) != (r_lag[1] < alpha):
        kind = "error" if r_err[1] < alpha else "lag"
        return (
            kind,
            f"Both LM tests reject; of the robust ones only robust LM {kind} does ({show}): spatial {kind} model.",
        )
    kind = "error" if r_err[0] >= r_lag[0] else "lag"
    return kind, (
        f"Both LM tests reject, and the robust ones {'both' if r_err[1] < alpha else 'neither'} do; the larger robust "
        f"statistic decides ({show}): spatial {kind} model."
    )


def _normal_estimates(names, betas, vm, alpha) -> List[Estimate]:
    from statistics import NormalDist

    z_crit = NormalDist().inv_cdf(1 - alpha / 2)
    estimates = []
    for term, b, var in zip(names, betas, np.diag(vm)):
        se = math.sqrt(max(float(var), 0.0))
        z = b / se if se > 0 else float("nan")
        p = 2 * NormalDist().cdf(-abs(z)) if se > 0 else float("nan")  # no underflow to 0
        estimates.append(Estimate(term, float(b), se, float(z), float(p), b - z_crit * se, b + z_crit * se))
    return estimates


def trace_moments(w, powers: int = 60, draws: int = 60, seed: int = 0) -> np.ndarray:
    """tr(W^k)/n for k = 0..powers: exact for k <= 2, Barry and Pace's (1999) stochastic estimate
    (Rademacher probes, sparse products only) above, as LeSage and Pace use for impacts at any n.
    spreg 1.5's own power method needs a newer libpysal than the one that keeps numpy 1."""
    matrix = w.sparse.tocsr()
    n = matrix.shape[0]
    moments = np.zeros(powers + 1)
    moments[0] = 1.0
    moments[1] = matrix.diagonal().sum() / n
    moments[2] = matrix.multiply(matrix.T).sum() / n
    probes = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n, draws))
    current = probes
    for k in range(1, powers + 1):
        current = matrix @ current
        if k > 2:
            moments[k] = float((probes * current).sum(axis=0).mean()) / n
    return moments


def _multipliers(moments: np.ndarray, rho: float) -> tuple:
    """Average direct and total impact multipliers of a lag model with a row-standardised W:
    mean of diag((I - rho W)^-1) by its power series, and 1 / (1 - rho)."""
    direct = float(np.polyval(moments[::-1], rho))
    return direct, 1.0 / (1.0 - rho)


def spatial_fit(design: _Design, blocks, w, kind: str, alpha: float) -> tuple:
    """Spatial error or lag model on the given columns: ML (sparse LU log-determinant) up to ML_MAX_N
    prices, spreg's GMM estimators above. Returns (Fit, spreg model, names)."""
    spreg = _spreg()
    names, matrix = _columns(design, *blocks)
    n = len(design.y)
    ml = n <= ML_MAX_N
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "error":
            model = (
                spreg.ML_Error(design.y[:, None], matrix, w, method="LU", name_x=names)
                if ml
                else spreg.GM_Error_Het(design.y[:, None], matrix, w, name_x=names)
            )
            param_name, label = (
                "lambda",
                "spatial error (ML)" if ml else "spatial error (GMM, heteroskedasticity-robust)",
            )
        else:
            model = (
                spreg.ML_Lag(
                    design.y[:, None], matrix, w, method="LU", spat_impacts=None, spat_diag=False, name_x=names
                )
                if ml
                else spreg.GM_Lag(design.y[:, None], matrix, w=w, spat_impacts=None, name_x=names)
            )
            param_name, label = "rho", "spatial lag (ML)" if ml else "spatial lag (GMM, spatial 2SLS)"
    betas = np.asarray(model.betas, dtype=float).ravel()
    vm = np.asarray(model.vm, dtype=float)
    estimates = _normal_estimates(["const"] + names + [param_name], betas, vm, alpha)
    param = float(betas[-1])
    if kind == "lag":
        estimates += _impacts(names, betas, vm, w, alpha)
    r2 = getattr(model, "pr2", None)
    aic = getattr(model, "aic", None) if ml else None
    covariance = "maximum likelihood" if ml else "GMM"
    fit = Fit(
        label,
        kind,
        estimates,
        n,
        None if r2 is None else float(r2),
        None if aic is None else float(aic),
        covariance,
        param,
    )
    return fit, model, names


def _impacts(names, betas, vm, w, alpha) -> List[Estimate]:
    """Direct, indirect and total impacts of each regressor, with delta-method standard errors that
    carry rho's uncertainty (the multipliers' derivative by central differences)."""
    from statistics import NormalDist

    z_crit = NormalDist().inv_cdf(1 - alpha / 2)
    rho = betas[-1]
    h = 1e-4
    moments = trace_moments(w)
    direct, total = _multipliers(moments, rho)
    d_plus, t_plus = _multipliers(moments, rho + h)
    d_minus, t_minus = _multipliers(moments, rho - h)
    slopes = {"direct": (direct, (d_plus - d_minus) / (2 * h)), "total": (total, (t_plus - t_minus) / (2 * h))}
    slopes["indirect"] = (total - direct, slopes["total"][1] - slopes["direct"][1])
    out = []
    k = len(betas) - 1
    for j, name in enumerate(names, start=1):
        b = betas[j]
        for what, (m, dm) in slopes.items():
            gradient = np.zeros(len(betas))
            gradient[j], gradient[k] = m, b * dm
            se = math.sqrt(max(float(gradient @ vm @ gradient), 0.0))
            value = b * m
            z = value / se if se > 0 else float("nan")
            p = 2 * NormalDist().cdf(-abs(z)) if se > 0 else float("nan")  # no underflow to 0
            out.append(Estimate(f"{name} ({what})", value, se, z, p, value - z_crit * se, value + z_crit * se))
    return out


# -- the whole model -----------------------------------------------------------------------------


def fit_price_model(data: PriceData, settings: Settings = None, progress: Progress = SILENT) -> PriceModelResult:
    """The ladder, the diagnostics, the chosen spatial model, the effect curve and the verdict."""
    settings = settings or Settings()
    if settings.spatial not in SPATIAL_CHOICES:
        raise HedonicError(f"Unknown SPATIAL {settings.spatial!r}; use one of {', '.join(SPATIAL_CHOICES)}.")
    if settings.photo_term not in PHOTO_TERMS:
        raise HedonicError(f"Unknown PHOTO_TERM {settings.photo_term!r}; use one of {', '.join(PHOTO_TERMS)}.")
    progress.report(0.0, "Preparing the design")
    design = prepare(data, settings)
    alpha = settings.alpha
    photo_terms = list(design.photo)
    ladder = []
    steps = [(STEP_PHOTO, [design.photo]), (STEP_CONTROLS, [design.photo, design.controls])]
    if not design.controls:
        steps = steps[:1]
    if design.location:
        steps.append((STEP_LOCATION, [design.photo, design.controls, design.location]))
    for i, (name, blocks) in enumerate(steps):
        progress.check()
        ladder.append(_ols(design, name, blocks, alpha)[0])
        progress.report(0.1 + 0.2 * (i + 1) / len(steps), f"OLS {name}")
    full_blocks = steps[-1][1]
    w = weights(design.coords, settings.neighbours)
    progress.check()
    diagnostics = diagnose(design, full_blocks, w)
    progress.report(0.4, "Spatial diagnostics")
    if settings.spatial == "auto":
        kind, decision = choose(diagnostics, alpha)
    else:
        kind = settings.spatial
        decision = f"SPATIAL set to {kind}: no test decided." + (
            f" (Moran's I of the OLS residuals {diagnostics.moran_i:.3f}, p {diagnostics.moran_p:.3g}.)"
        )
    notes = []
    spatial_model = None
    if kind == "ols":
        final = ladder[-1]
    else:
        progress.check()
        if len(design.y) > ML_MAX_N:
            notes.append(
                f"{len(design.y)} prices: above {ML_MAX_N}, maximum likelihood's variance needs a dense "
                f"{len(design.y)}x{len(design.y)} inverse, so spreg's GMM estimator is used."
            )
        final, spatial_model, _ = spatial_fit(design, full_blocks, w, kind, alpha)
        ladder.append(final)
    progress.report(0.7, f"Final model: {final.name}")

    progress.check()
    effect = _effect_curve(design, settings, full_blocks, w, kind, alpha, final)
    progress.report(0.9, "Partial-effect curve")
    fitted, residual = _final_residuals(design, final, ladder, full_blocks, kind, spatial_model)
    verdicts = {t: _verdict(ladder, t, kind, alpha, bool(design.location)) for t in photo_terms}
    doubling = {t: _doubling(design, final, t, settings.log_price) for t in photo_terms}
    progress.report(1.0, "Done")
    return PriceModelResult(
        ladder,
        final,
        photo_terms,
        diagnostics,
        decision,
        verdicts,
        _overall_verdict(verdicts),
        effect,
        doubling,
        design.used,
        fitted,
        residual,
        design.skipped,
        design.levels,
        settings.log_price,
        design.raw_photo,
        notes,
    )


def _final_residuals(design, final, ladder, blocks, kind, spatial_model):
    if spatial_model is not None:
        fitted = np.asarray(spatial_model.predy, float).ravel()
        return fitted, design.y - fitted
    names, matrix = _columns(design, *blocks)
    b = np.array([final.term(t).estimate for t in ["const"] + names])
    fitted = np.column_stack([np.ones(len(design.y)), matrix]) @ b
    return fitted, design.y - fitted


def photo_estimate(fit: Fit, term: str) -> Estimate:
    return fit.term(f"{term} (direct)") or fit.term(term)


def _significant(estimate: Optional[Estimate], alpha: float) -> bool:
    return estimate is not None and np.isfinite(estimate.p) and estimate.p < alpha


def _verdict(ladder: List[Fit], term: str, kind: str, alpha: float, has_location: bool) -> str:
    final = photo_estimate(ladder[-1], term)
    if _significant(final, alpha):
        return VERDICT_PRICED
    before = next((f for f in ladder if f.name == STEP_CONTROLS), ladder[0])
    if has_location and _significant(before.term(term), alpha):
        return VERDICT_LOCATION
    return VERDICT_ZERO


def _overall_verdict(verdicts: Dict[str, str]) -> str:
    if len(verdicts) == 1:
        return next(iter(verdicts.values()))
    parts = "; ".join(f"{term.replace('photo_', '')}: {v}" for term, v in verdicts.items())
    locals_priced = verdicts.get("photo_locals") == VERDICT_PRICED
    tourists_priced = verdicts.get("photo_tourists") == VERDICT_PRICED
    if locals_priced and not tourists_priced:
        parts += ". Locals' photos price in and tourists' do not: the reading is beauty, not tourist proximity"
    elif tourists_priced and not locals_priced:
        parts += ". Tourists' photos price in and locals' do not: the reading is tourist proximity, not beauty"
    return parts


def _doubling(design: _Design, final: Fit, term: str, log_price: bool) -> dict:
    """Change of the (log) price when the photo variable doubles from its median (its positive median
    when most locations have none)."""
    values = design.raw_photo[term]
    positive = values[values > 0]
    base = float(np.median(positive if len(positive) else values))
    estimate = photo_estimate(final, term) or final.term(f"{term}_s1")
    if estimate is None or estimate.term.startswith(f"{term}_s"):
        return {"base": base, "change": None, "low": None, "high": None, "unit": ""}
    step = math.log1p(2 * base) - math.log1p(base)
    values = [estimate.estimate * step, estimate.ci_low * step, estimate.ci_high * step]
    if log_price:
        values = [100.0 * (math.exp(v) - 1.0) for v in values]
    return {
        "base": base,
        "change": values[0],
        "low": values[1],
        "high": values[2],
        "unit": "%" if log_price else "price units",
    }


def _effect_curve(design, settings, blocks, w, kind, alpha, final) -> List[dict]:
    """Partial effect of each photo term against its value, relative to its smallest value, with a
    pointwise (1 - alpha) band. Linear: from the final model. Smooth: the same model refitted with
    B-spline bases of log(1 + photo)."""
    from statistics import NormalDist

    z_crit = NormalDist().inv_cdf(1 - alpha / 2)
    rows = []
    grids = {t: np.linspace(v.min(), v.max(), EFFECT_POINTS) for t, v in design.raw_photo.items()}
    if settings.photo_term == "linear":
        for term, grid in grids.items():
            e = photo_estimate(final, term)
            z = np.log1p(grid) - np.log1p(grid[0])
            for value, dz in zip(grid, z):
                rows.append(_effect_row(term, value, e.estimate * dz, e.std_error * abs(dz), z_crit))
        return rows
    spline, infos = _spline_block(design.photo)
    other = [b for b in blocks if b is not design.photo]
    patsy = need("patsy")
    if kind == "ols":
        fit, result, names = _ols(design, "smooth", [spline] + other, alpha)
        betas, vm = np.asarray(result.params), np.asarray(result.cov_params())
        scale = 1.0
    else:
        fit, model, names = spatial_fit(design, [spline] + other, w, kind, alpha)
        betas, vm = np.asarray(model.betas, float).ravel(), np.asarray(model.vm, float)
        scale = _multipliers(trace_moments(w), fit.spatial_param)[0] if kind == "lag" else 1.0
    index = {name: i + 1 for i, name in enumerate(names)}
    for term, grid in grids.items():
        basis = np.asarray(patsy.build_design_matrices([infos[term]], {"z": np.log1p(grid)})[0])
        delta = basis - basis[0]
        columns = [index[f"{term}_s{j + 1}"] for j in range(basis.shape[1])]
        values = scale * delta @ betas[columns]
        errors = scale * np.sqrt(np.einsum("ij,jk,ik->i", delta, vm[np.ix_(columns, columns)], delta))
        for value, effect, se in zip(grid, values, errors):
            rows.append(_effect_row(term, value, effect, se, z_crit))
    return rows


def _effect_row(term, value, effect, se, z_crit) -> dict:
    return {
        "variable": term,
        "photo_value": float(value),
        "effect": float(effect),
        "ci_low": float(effect - z_crit * se),
        "ci_high": float(effect + z_crit * se),
    }
