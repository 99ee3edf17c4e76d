"""algorithms/cluster.py: the advanced SCHEDULER parameter and its default in the Processing options."""

import pytest
from qgis.core import QgsApplication, QgsProcessingParameterDefinition, QgsSettings

from scenic_heatmap.algorithms.support.cluster import SCHEDULER, SETTING, SETTING_KEY


@pytest.mark.parametrize("algorithm", ["classifyphotos", "heatmap", "heatmapseries", "heatmapuncertainty"])
def test_scheduler_is_an_advanced_optional_parameter(processing_provider, algorithm):
    parameter = (
        QgsApplication.processingRegistry().algorithmById(f"scenicheatmap:{algorithm}").parameterDefinition(SCHEDULER)
    )
    assert parameter is not None
    assert parameter.flags() & QgsProcessingParameterDefinition.FlagAdvanced
    assert parameter.flags() & QgsProcessingParameterDefinition.FlagOptional


def test_the_processing_options_hold_the_default(processing_provider):
    from processing.core.ProcessingConfig import ProcessingConfig

    assert SETTING in ProcessingConfig.settings
    assert ProcessingConfig.settings[SETTING].group == "Scenic Heatmap"


def test_the_default_applies_when_the_parameter_is_empty_and_off_overrides_it(run_alg, tmp_path):
    from qgis.core import QgsProcessingException
    from test_bad_input import points

    settings = QgsSettings()
    settings.setValue(SETTING_KEY, "local:zero")
    settings.sync()
    try:
        with pytest.raises(QgsProcessingException, match="SCHEDULER 'local:zero' is not understood"):
            run_alg("scenicheatmap:heatmap", {"POINTS": points(n=20), "OUTPUT": str(tmp_path / "a.tif")})
        assert not (tmp_path / "a.tif").exists()
        result = run_alg(
            "scenicheatmap:heatmap", {"POINTS": points(n=20), "SCHEDULER": "off", "OUTPUT": str(tmp_path / "b.tif")}
        )
        assert result["PHOTOS"] == 20
    finally:  # the settings file is shared with every later QGIS process of the session
        settings.remove(SETTING_KEY)
        settings.sync()
        del settings
    assert QgsSettings().value(SETTING_KEY, None) is None
