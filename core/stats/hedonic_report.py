"""What the hedonic price model says, for people: the partial-effect chart, the ladder chart and
table, the coefficient path, the log lines and the escaped HTML report. QGIS-free."""

from typing import Dict, List

import numpy as np

from ..report.page import chart_bytes
from .hedonic import ML_MAX_N, PriceModelResult, photo_estimate


def chart_png(result: PriceModelResult, x_label: str) -> bytes:
    """The partial-effect curve(s) with their band and a rug of the observations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    colours = ["#bd0026", "#2c7fb8"]
    for colour, term in zip(colours, result.photo_terms):
        rows = [r for r in result.effect if r["variable"] == term]
        xs = [r["photo_value"] for r in rows]
        axis.fill_between(xs, [r["ci_low"] for r in rows], [r["ci_high"] for r in rows], color=colour, alpha=0.2)
        axis.plot(xs, [r["effect"] for r in rows], color=colour, label=f"{term}: partial effect, 95 % band")
    for colour, term in zip(colours, result.photo_terms):  # the rug: where the observations are
        observed = result.photo_values[term]
        rug = axis.get_xaxis_transform()  # x in data units, y in axis fractions
        axis.plot(observed, np.full(len(observed), 0.02), "|", color=colour, alpha=0.3, transform=rug, markersize=10)
    axis.axhline(0, color="#555555", linewidth=0.8)
    axis.set_xlabel(x_label)
    axis.set_ylabel("partial effect on log price" if result.log_price else "partial effect on price")
    axis.set_title(f"Photo variable in the hedonic price model ({result.final.name})")
    axis.legend(loc="upper left", fontsize=8)
    axis.grid(alpha=0.3)
    return chart_bytes(figure)


def ladder_png(result: PriceModelResult) -> bytes:
    """The photo coefficient along the ladder, with its 95 % intervals: where it shrinks, what entered
    explained it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7.5, 0.9 + 0.55 * len(result.ladder) * len(result.photo_terms)), dpi=110)
    labels, row = [], 0
    for colour, term in zip(["#bd0026", "#2c7fb8"], result.photo_terms):
        for fit in result.ladder:
            e = photo_estimate(fit, term)
            if e is None:
                continue
            axis.errorbar(
                e.estimate,
                row,
                xerr=[[e.estimate - e.ci_low], [e.ci_high - e.estimate]],
                fmt="o",
                color=colour,
                capsize=4,
            )
            labels.append(f"{fit.name}" + (f" [{term}]" if len(result.photo_terms) > 1 else ""))
            row += 1
    axis.axvline(0, color="#555555", linewidth=0.8)
    axis.set_yticks(range(len(labels)), labels)
    axis.invert_yaxis()
    axis.set_xlabel("photo coefficient (log price per unit of log(1 + photo variable)), 95 % CI")
    axis.grid(alpha=0.3, axis="x")
    return chart_bytes(figure)


def ladder_rows(result: PriceModelResult) -> List[dict]:
    """One row per ladder step: the photo coefficient's path and the fit statistics."""
    rows = []
    for fit in result.ladder:
        row = {"model": fit.name, "n": fit.n, "covariance": fit.covariance}
        for term in result.photo_terms:
            e = photo_estimate(fit, term)
            row[f"{term}"] = e.estimate if e else None
            row[f"{term} p"] = e.p if e else None
            row[f"{term} 95 % CI"] = f"{e.ci_low:.4g} to {e.ci_high:.4g}" if e else None
        row["R² / pseudo-R²"] = fit.r2
        row["AIC"] = fit.aic
        row["λ / ρ"] = fit.spatial_param
        rows.append(row)
    return rows


def path_sentences(result: PriceModelResult) -> List[str]:
    """How each photo coefficient changed from step to step of the ladder."""
    out = []
    for term in result.photo_terms:
        previous = None
        for fit in result.ladder:
            e = photo_estimate(fit, term)
            if previous is not None and e is not None and previous[1] != 0:
                change = 100.0 * (e.estimate - previous[1]) / abs(previous[1])
                out.append(
                    f"{term}: {previous[0]} → {fit.name}: {previous[1]:.4g} → {e.estimate:.4g} ({change:+.0f} %), "
                    f"p {e.p:.3g}."
                )
            if e is not None:
                previous = (fit.name, e.estimate)
    return out


def report_html(title: str, inputs: Dict[str, object], result: PriceModelResult, chart: bytes) -> str:
    """Self-contained HTML; every data-derived string (field names, levels, layer names) is escaped."""
    from ..report import Report

    page = Report(title).facts(inputs)
    page.heading("Verdict")
    page.paragraph(result.verdict + ".", bold="The photo variable is")
    for term in result.photo_terms:
        e = result.photo(term)
        d = result.doubling[term]
        what = "direct impact" if result.final.kind == "lag" else "coefficient"
        text = (
            f"{term}: {what} {e.estimate:.4g} (95 % CI {e.ci_low:.4g} to {e.ci_high:.4g}, p {e.p:.3g}) "
            f"in the {result.final.name} model."
        )
        if d["change"] is not None:
            text += (
                f" Doubling the photo variable from its median {d['base']:.3g} changes the price by "
                f"{d['change']:+.2f} {d['unit']} (95 % CI {d['low']:+.2f} to {d['high']:+.2f})."
            )
        page.paragraph(text)
    page.image(chart, "partial effect of the photo variable")
    page.heading("The ladder")
    page.paragraph(
        "Each step adds what could explain the photo effect: the objects' own attributes, then location "
        "(district fixed effects, distance to the centre), then spatial dependence. A coefficient that "
        "shrinks when location enters was centrality; one that survives every step is priced."
    )
    rows = ladder_rows(result)
    page.table(rows, list(rows[0]))
    page.image(ladder_png(result), "the photo coefficient along the ladder")
    page.items(path_sentences(result))
    page.heading("Spatial dependence of the OLS residuals")
    d = result.diagnostics
    page.paragraph(
        f"Moran's I {d.moran_i:.4f} (z {d.moran_z:.2f}, p {d.moran_p:.3g}); k-nearest-neighbour weights, "
        "row-standardised."
    )
    page.table([{"test": k, "statistic": v[0], "p": v[1]} for k, v in d.lm.items()], ["test", "statistic", "p"])
    page.paragraph(result.decision, bold="Model choice:")
    for note in result.notes:
        page.paragraph(note, bold="Note:")
    skipped = ", ".join(f"{v} {k}" for k, v in result.skipped.items()) or "none"
    page.paragraph(f"{int(result.used.sum())} price locations used; left out: {skipped}.", bold="Rows:")
    if result.levels:
        page.paragraph(
            "; ".join(f"{k}: {v}" for k, v in result.levels.items()), bold="Reference levels (most frequent):"
        )
    page.heading("All coefficients")
    page.table(
        coefficient_rows(result), ["model", "term", "estimate", "std_error", "statistic", "p", "ci_low", "ci_high"]
    )
    page.paragraph(
        "OLS steps: heteroskedasticity-robust (HC1) or district-clustered standard errors (t with G−1 "
        "degrees of freedom). Spatial models: spreg, maximum likelihood with a sparse LU log-determinant, "
        f"or GMM above {ML_MAX_N} prices. Lag models report direct, indirect and total impacts with "
        "delta-method standard errors. Estimates come from statsmodels and spreg."
    )
    return page.render()


def coefficient_rows(result: PriceModelResult) -> List[dict]:
    return [
        {
            "model": fit.name,
            "term": e.term,
            "estimate": e.estimate,
            "std_error": e.std_error,
            "statistic": e.statistic,
            "p": e.p,
            "ci_low": e.ci_low,
            "ci_high": e.ci_high,
        }
        for fit in result.ladder
        for e in fit.estimates
    ]


def describe(result: PriceModelResult) -> List[str]:
    """Log lines: the path, the diagnostics, the decision and the verdict."""
    lines = path_sentences(result)
    d = result.diagnostics
    lines.append(f"Moran's I of the OLS residuals {d.moran_i:.4f} (p {d.moran_p:.3g}).")
    lines.append(result.decision)
    lines += result.notes
    e = result.photo()
    lines.append(
        f"Final model {result.final.name}: {result.photo_terms[0]} {e.estimate:.4g} "
        f"(95 % CI {e.ci_low:.4g} to {e.ci_high:.4g}, p {e.p:.3g})."
    )
    lines.append(f"Verdict: {result.verdict}.")
    return lines
