"""core/errors.py: the contract between core and the adapters."""

import pytest

from scenic_heatmap.core import errors


def test_parts_report_one_rising_bar_and_the_check_raises_cancelled():
    seen, stop = [], []
    bar = errors.Progress(lambda fraction, message: seen.append((round(fraction, 3), message)), lambda: bool(stop))
    half = bar.part(0.5, 1.0)
    half.part(0.0, 0.5).report(1.0, "quarter")
    half.report(2.0)  # clamped to the part's end
    assert seen == [(0.75, "quarter"), (1.0, "")]
    half.check()
    stop.append(True)
    with pytest.raises(errors.Cancelled):
        half.part(0.1, 0.2).check()


def test_every_core_error_is_a_user_error():
    from scenic_heatmap.core.child import WorkerError
    from scenic_heatmap.core.cluster.scheduler import SchedulerError
    from scenic_heatmap.core.cnn.backbone import BackboneError
    from scenic_heatmap.core.cnn.training import TrainingError
    from scenic_heatmap.core.density.kde import KdeError
    from scenic_heatmap.core.density.raster import RasterError
    from scenic_heatmap.core.density.weighting import WeightingError
    from scenic_heatmap.core.flickr.client import FlickrPermanentError, HarvestCancelled
    from scenic_heatmap.core.hotspots.gistar import HotspotError
    from scenic_heatmap.core.hotspots.grid import GridError
    from scenic_heatmap.core.stats.hedonic import HedonicError
    from scenic_heatmap.core.stats.prices import ValidationError

    for kind in (WorkerError, SchedulerError, BackboneError, TrainingError, KdeError, RasterError, WeightingError,
                 FlickrPermanentError, HotspotError, GridError, HedonicError, ValidationError):  # fmt: skip
        assert issubclass(kind, errors.UserError), kind
    assert issubclass(HarvestCancelled, errors.Cancelled) and "resume" in str(HarvestCancelled())
