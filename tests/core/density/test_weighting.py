"""core.weighting: photo-user-days, unique owners and the locals/tourists split."""

import numpy as np
import pytest

from scenic_heatmap.core.density import weighting

DAY = 86400.0


def test_photos_weighting_counts_every_photo():
    assert weighting.bias_weights(["a", "a"], [0, 0], [0, 1], [0, 1], 100, "photos").tolist() == [1, 1]


def test_photo_user_days_count_an_owner_once_per_day_and_place():
    owners = ["a"] * 4 + ["b"]
    times = [0, 3600, 2 * DAY, 0, 0]  # a: same day twice, another day, same day again
    xs = [10, 20, 30, 500, 10]  # a's fourth photo is in another place
    ys = [10, 20, 30, 10, 10]
    w = weighting.bias_weights(owners, times, xs, ys, 100, "photo-user-days")
    assert w.tolist() == [0.5, 0.5, 1.0, 1.0, 1.0]
    assert w.sum() == 4  # a: (day 0, cell 0), (day 2, cell 0), (day 0, cell 5); b: (day 0, cell 0)


def test_unique_owners_count_an_owner_once_per_place():
    owners = ["a"] * 3 + ["b", ""]
    w = weighting.bias_weights(
        owners, [0, DAY, 9 * DAY, 0, 0], [1, 2, 300, 3, 4], [1, 2, 1, 3, 4], 100, "unique owners"
    )
    assert w.tolist() == [0.5, 0.5, 1.0, 1.0, 0.0]  # no owner: counts for nothing


def test_photo_user_days_skip_photos_without_time():
    w = weighting.bias_weights(["a", "a"], [np.nan, 0], [0, 0], [0, 0], 100, "photo-user-days")
    assert w.tolist() == [0.0, 1.0]


def test_locals_span_more_than_30_days():
    owners = ["local", "local", "tourist", "tourist", "once"]
    times = [0, 31 * DAY, 0, 29 * DAY, 5 * DAY]
    assert weighting.locals_mask(owners, times).tolist() == [True, True, False, False, False]
    assert weighting.audience_mask(owners, times, "tourists").tolist() == [False, False, True, True, True]
    assert weighting.audience_mask(owners, times, "all").all()


def test_unknown_choices_and_bad_place_size_are_refused():
    with pytest.raises(weighting.WeightingError):
        weighting.bias_weights(["a"], [0], [0], [0], 100, "likes")
    with pytest.raises(weighting.WeightingError):
        weighting.audience_mask(["a"], [0], "everyone")
    with pytest.raises(weighting.WeightingError):
        weighting.bias_weights(["a"], [0], [0], [0], 0, "unique owners")


def test_locals_by_share_of_days_inside_the_area():
    from scenic_heatmap.core.density.weighting import SECONDS_PER_DAY, locals_by_share

    day = SECONDS_PER_DAY
    owners = ["res", "res", "res", "tour", "tour", "tour"]
    times = np.array([0, 40 * day, 80 * day, 0, 1 * day, 2 * day], dtype=float)
    inside = np.array([True, True, False, True, False, False])
    # res: 2 of 3 days inside; tour: 1 of 3
    assert list(locals_by_share(owners, times, inside, 0.5)) == [True] * 3 + [False] * 3
