"""core/photos/exif_write.py: positions written as EXIF rationals that every reader accepts."""

import numpy as np

from scenic_heatmap.core.photos.exif_gnss import dms_to_degrees
from scenic_heatmap.core.photos.exif_write import _dms


def test_seconds_never_round_up_to_sixty_and_round_trip_to_a_millionth():
    rng = np.random.default_rng(5)
    values = np.r_[rng.uniform(-180, 180, 20000), 48.19 + 0.003 * np.arange(100), 48.2 - 1e-12, 16.9999999999]
    for value in values:
        parts = _dms(float(value))
        numbers = [n / d for n, d in parts]
        assert numbers[1] < 60 and numbers[2] < 60, (value, parts)
        assert abs(dms_to_degrees(numbers) - abs(value)) < 1e-6 / 3600 + 1e-12
