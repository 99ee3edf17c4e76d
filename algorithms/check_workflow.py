"""scenicheatmap:checkworkflow - the whole-workflow model's first step: its later steps' settings, checked
before the harvest runs, so that a wrong district field or radius fails in seconds, not after hours."""

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsWkbTypes,
)

from ..core.density import kde
from .support.base import ScenicAlgorithm
from .support.parameters import field_of, number, source


class CheckWorkflowAlgorithm(ScenicAlgorithm):
    DISTRICTS = "DISTRICTS"
    DISTRICT_ID = "DISTRICT_ID"
    RADIUS = "RADIUS"
    PIXEL_SIZE = "PIXEL_SIZE"

    NAME = "checkworkflow"
    HELP_SECTION = "workflow"  # the first step of the workflow model, explained there
    DISPLAY = "Check workflow settings"
    GROUP = "Workflow"
    HELP = (
        "Checks the district and heat-map settings of the whole-workflow model before its harvest starts: "
        "the districts are polygons with a CRS and the id field, and radius and pixel size make a heat map. "
        "The model runs it first; it writes nothing."
    )

    def flags(self):
        return super().flags() | QgsProcessingAlgorithm.FlagHideFromToolbox

    PARAMETERS = (
        source("DISTRICTS", "Districts", ("polygon",)),
        field_of("DISTRICT_ID", "District identifier field", "DISTRICTS"),
        number("RADIUS", "Heat-map radius (metres)", 1000.0),
        number("PIXEL_SIZE", "Heat-map pixel size (metres)", 10.0),
    )

    def initAlgorithm(self, config=None):
        super().initAlgorithm(config)
        self.addOutput(QgsProcessingOutputNumber("DISTRICT_COUNT", self.tr("Districts")))

    def processAlgorithm(self, parameters, context, feedback):
        districts = self.parameterAsSource(parameters, self.DISTRICTS, context)
        if districts is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.DISTRICTS))
        if QgsWkbTypes.geometryType(districts.wkbType()) != QgsWkbTypes.PolygonGeometry:
            raise QgsProcessingException("DISTRICTS: the districts must be a polygon layer.")
        if not districts.sourceCrs().isValid():
            raise QgsProcessingException("DISTRICTS: the district layer has no CRS.")
        field = self.parameterAsString(parameters, self.DISTRICT_ID, context)
        if districts.fields().lookupField(field) < 0:
            raise QgsProcessingException(
                f"DISTRICT_ID: the districts have no field {field!r} "
                f"(their fields: {', '.join(districts.fields().names())})."
            )
        try:
            kde.check_parameters(
                self.parameterAsDouble(parameters, self.RADIUS, context),
                self.parameterAsDouble(parameters, self.PIXEL_SIZE, context),
            )
        except kde.KdeError as exc:
            raise QgsProcessingException(f"RADIUS/PIXEL_SIZE: {exc}") from None
        feedback.pushInfo("The district and heat-map settings are usable; the harvest can start.")
        return {"DISTRICT_COUNT": districts.featureCount()}
