"""core/report: escaping, tables, embedded images."""

import base64

from scenic_heatmap.core.report import Report


def test_every_user_string_is_escaped(tmp_path):
    hostile = "<script>alert('x')</script> & \"q\""
    page = (
        Report(hostile)
        .heading(hostile)
        .paragraph(hostile, bold=hostile)
        .facts({hostile: hostile})
        .table([{"a": hostile, "b": 1.23456789}], ["a", "b"])
        .items([hostile])
        .image(b"\x89PNG fake", alt="it's <b>")
    )
    text = page.render()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "alt='it&#x27;s &lt;b&gt;'" in text
    assert "<td>1.235</td>" in text
    assert base64.b64encode(b"\x89PNG fake").decode() in text
    path = tmp_path / "r.html"
    page.write(str(path))
    assert path.read_text().startswith("<!DOCTYPE html>")


def test_missing_and_non_finite_values_show_a_dash():
    text = Report("t").table([[None, float("nan"), 3]], ["a", "b", "c"]).render()
    assert "<td>–</td><td>–</td><td>3</td>" in text
