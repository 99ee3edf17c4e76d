"""core/webmap/photos.py: which photo points a page may show."""

import numpy as np

from scenic_heatmap.core.webmap import photos


def crowd_and_burst(seed):
    """150 people in a square kilometre, and one person's 80 photos within 40 m of (2000, 2000)."""
    rng = np.random.default_rng(seed)
    xs = list(rng.uniform(0, 1000, 300))
    ys = list(rng.uniform(0, 1000, 300))
    owners = [f"p{i % 150}" for i in range(300)]
    xs += list(2000 + rng.normal(0, 15, 80))
    ys += list(2000 + rng.normal(0, 15, 80))
    owners += ["burst"] * 80
    return np.array(xs), np.array(ys), owners


def test_one_persons_burst_is_never_shown_and_the_crowd_is():
    for seed in range(5):
        xs, ys, owners = crowd_and_burst(seed)
        shown = photos.choose(xs, ys, owners, 250, 3, 0.7, cap=10_000)
        kept_owners = {owners[i] for i in shown.keep}
        assert "burst" not in kept_owners
        assert shown.floor >= 80  # the burst's cell has one owner
        assert len(shown.keep) + shown.floor + shown.dominated == len(xs)
        assert len(shown.keep) > 250  # a 250 m cell of the crowd holds about 19 photos of 19 people


def test_the_dominance_rule_hides_a_cell_one_person_fills():
    xs = np.r_[np.full(10, 10.0), np.full(2, 20.0), np.full(2, 30.0)]
    ys = np.full(14, 10.0)
    owners = ["a"] * 10 + ["b", "b", "c", "c"]  # three owners, but a holds 10 of 14
    assert len(photos.choose(xs, ys, owners, 250, 3, 0.7, cap=100).keep) == 0
    assert photos.choose(xs, ys, owners, 250, 3, 0.7, cap=100).dominated == 14
    assert len(photos.choose(xs, ys, owners, 250, 3, 0.0, cap=100).keep) == 14  # the rule off
    assert len(photos.choose(xs, ys, owners, 250, 0, 0.0, cap=100).keep) == 14


def test_the_cap_is_kept_and_the_sample_is_reproducible():
    xs, ys, owners = crowd_and_burst(1)
    first = photos.choose(xs, ys, owners, 250, 0, 0.0, cap=50)
    again = photos.choose(xs, ys, owners, 250, 0, 0.0, cap=50)
    assert len(first.keep) == 50 and first.capped == len(xs) - 50
    assert np.array_equal(first.keep, again.keep)
    assert len(set(first.keep.tolist())) == 50
    assert photos.choose([], [], [], 250, 3, 0.7, cap=50).keep.size == 0


def test_popup_rows_leave_out_what_is_absent():
    assert photos.popup_rows(0.876, "valid", "2016-05-01 10:00") == [
        ("Category", "valid"),
        ("Score", "0.88"),
        ("Taken", "2016-05-01 10:00"),
    ]
    assert photos.popup_rows(None, "", "") == []
