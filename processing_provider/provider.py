"""The `scenicheatmap` Processing provider: lists the algorithms, nothing else."""

import os

from qgis.core import QgsMessageLog, QgsProcessingModelAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..algorithms.check_workflow import CheckWorkflowAlgorithm
from ..algorithms.classify_photos import ClassifyPhotosAlgorithm
from ..algorithms.district_stats import DistrictStatsAlgorithm
from ..algorithms.harvest_commons import HarvestCommonsAlgorithm
from ..algorithms.harvest_flickr import HarvestFlickrAlgorithm
from ..algorithms.heatmap import HeatmapAlgorithm
from ..algorithms.heatmap_series import HeatmapSeriesAlgorithm
from ..algorithms.heatmap_uncertainty import HeatmapUncertaintyAlgorithm
from ..algorithms.hotspots import HotspotsAlgorithm
from ..algorithms.import_photos import ImportPhotosAlgorithm
from ..algorithms.import_yfcc import ImportYfccAlgorithm
from ..algorithms.price_model import PriceModelAlgorithm
from ..algorithms.support.base import readme_section
from ..algorithms.support.cluster import register_setting, unregister_setting
from ..algorithms.support.parameter_help import help_for
from ..algorithms.train_classifier import TrainClassifierAlgorithm
from ..algorithms.validate_prices import ValidatePricesAlgorithm
from ..algorithms.web_map import WebMapAlgorithm

RESOURCES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources")
ICON = os.path.join(RESOURCES, "icon.svg")
MODELS = os.path.join(RESOURCES, "models")


class ShippedModel(QgsProcessingModelAlgorithm):
    """A .model3 from resources/models, listed with a readable name (its id stays its model name)."""

    def displayName(self):
        names = {
            "workflow": "Whole workflow: harvest, classify, districts, heat map",
            "workflow_yfcc": "Whole workflow from YFCC100M (no Flickr key): import, classify, districts, heat map",
        }
        return names.get(self.name(), self.name())

    def helpUrl(self):
        return readme_section(self.name())


class ScenicHeatmapProvider(QgsProcessingProvider):
    def id(self):
        return "scenicheatmap"

    def name(self):
        return "Scenic Heatmap"

    def longName(self):
        return "Scenic Heatmap: where people photograph their surroundings"

    def icon(self):
        return QIcon(ICON)

    def svgIconPath(self):
        return ICON

    def load(self):
        register_setting(self.name())  # the default SCHEDULER, in the Processing options
        self.refreshAlgorithms()
        return True

    def unload(self):
        unregister_setting()

    def loadAlgorithms(self):
        for algorithm in (
            ImportPhotosAlgorithm(),
            ImportYfccAlgorithm(),
            HarvestFlickrAlgorithm(),
            HarvestCommonsAlgorithm(),
            TrainClassifierAlgorithm(),
            ClassifyPhotosAlgorithm(),
            DistrictStatsAlgorithm(),
            HeatmapAlgorithm(),
            HeatmapSeriesAlgorithm(),
            ValidatePricesAlgorithm(),
            PriceModelAlgorithm(),
            CheckWorkflowAlgorithm(),
            HotspotsAlgorithm(),
            HeatmapUncertaintyAlgorithm(),
            WebMapAlgorithm(),
        ):
            self.addAlgorithm(algorithm)
        for name in sorted(os.listdir(MODELS)) if os.path.isdir(MODELS) else []:
            if name.endswith(".model3"):  # graphical models shipped with the plugin
                model = ShippedModel()
                if model.fromFile(os.path.join(MODELS, name)):
                    for definition in model.parameterDefinitions():  # QGIS 3.22 does not read back their help
                        definition.setHelp(definition.help() or help_for(model.name(), definition.name()))
                    self.addAlgorithm(model)
                else:
                    QgsMessageLog.logMessage(f"Cannot read the model {name}", "Scenic Heatmap")
