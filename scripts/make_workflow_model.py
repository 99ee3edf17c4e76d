"""Writes the shipped models: resources/models/scenic_heatmap_workflow.model3 (harvest -> classify ->
districtstats -> heatmap) and scenic_heatmap_workflow_yfcc.model3 (the same from YFCC100M, no Flickr key).

The .model3 is committed; run this again after changing an algorithm's parameters,
then open the model in QGIS's graphical modeler to check it.

Usage: python scripts/make_workflow_model.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from standalone import REPO, start_qgis  # noqa: E402

MODEL_PATH = REPO / "resources" / "models" / "scenic_heatmap_workflow.model3"
YFCC_MODEL_PATH = REPO / "resources" / "models" / "scenic_heatmap_workflow_yfcc.model3"


def build(source_kind: str = "flickr"):
    """source_kind: "flickr" (the harvest, a key needed) or "yfcc" (the YFCC100M file, no key)."""
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildDependency,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterAuthConfig,
        QgsProcessingParameterDateTime,
        QgsProcessingParameterEnum,
        QgsProcessingParameterExtent,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterField,
        QgsProcessingParameterFile,
        QgsProcessingParameterNumber,
        QgsProcessingParameterString,
    )
    from qgis.PyQt.QtCore import QDate, QPointF

    from scenic_heatmap.core.density.weighting import WEIGHTINGS

    yfcc = source_kind == "yfcc"
    name = "workflow_yfcc" if yfcc else "workflow"
    model = QgsProcessingModelAlgorithm(name, "Workflow")
    model.setName(name)
    model.setGroup("Workflow")
    model.setHelpContent(
        {
            "ALG_DESC": "The whole Scenic Heatmap chain in one run: harvest Flickr photos with GNSS positions in "
            "the extent and time window, classify them (built-in or trained classifier), keep the "
            "valid ones, clip and count them per district, and map their density as a styled heat "
            "map. Credentials come from an authentication configuration (Basic: key as user name, "
            "secret as password) or the SCENIC_HEATMAP_FLICKR_KEY/SECRET environment variables.",
            "ALG_CREATOR": "Scenic Heatmap",
        }
    )

    from scenic_heatmap.algorithms.support.parameter_help import help_for

    def parameter(definition, y):
        definition.setHelp(help_for("workflow", definition.name()))
        model.addModelParameter(definition, QgsProcessingModelParameter(definition.name()))
        component = model.parameterComponent(definition.name())
        component.setPosition(QPointF(120, y))
        model.setParameterComponent(component)

    y = 60
    if yfcc:
        model.setHelpContent(
            {
                "ALG_DESC": "The whole chain without a Flickr key: import the photos of the area from the YFCC100M "
                "metadata file (downloading their images), classify them, keep the valid ones, clip and count them "
                "per district, and map their density.",
                "ALG_CREATOR": "Scenic Heatmap",
            }
        )
        head = (
            QgsProcessingParameterFile("YFCC_FILE", "YFCC100M metadata file", fileFilter="YFCC100M metadata (*)"),
            QgsProcessingParameterExtent("EXTENT", "Area to import"),
            # a model passes an unset optional date on as an invalid one, which the step refuses: the dump's years
            QgsProcessingParameterDateTime("START", "From", QgsProcessingParameterDateTime.Date, QDate(2000, 1, 1)),
            QgsProcessingParameterDateTime("END", "To", QgsProcessingParameterDateTime.Date, QDate(2014, 12, 31)),
        )
    else:
        head = (
            QgsProcessingParameterExtent("EXTENT", "Area to harvest"),
            QgsProcessingParameterDateTime("START", "From", QgsProcessingParameterDateTime.Date, QDate(2016, 6, 30)),
            QgsProcessingParameterDateTime("END", "To", QgsProcessingParameterDateTime.Date, QDate(2017, 6, 30)),
            QgsProcessingParameterAuthConfig(
                "AUTHCFG", "Flickr credentials (authentication configuration)", optional=True
            ),
        )
    for definition in (
        *head,
        QgsProcessingParameterFile(
            "CLASSIFIER", "Trained classifier (.scenicmodel; empty: built-in)", extension="scenicmodel", optional=True
        ),
        QgsProcessingParameterNumber(
            "THRESHOLD",
            "Valid score threshold (empty: the classifier's recommended one)",
            QgsProcessingParameterNumber.Double,
            None,
            optional=True,
            minValue=0.0,
            maxValue=1.0,
        ),
        QgsProcessingParameterFeatureSource("DISTRICTS", "Districts", [QgsProcessing.TypeVectorPolygon]),
        QgsProcessingParameterField("DISTRICT_ID", "District identifier field", parentLayerParameterName="DISTRICTS"),
        QgsProcessingParameterNumber(
            "RADIUS", "Heat-map radius (metres)", QgsProcessingParameterNumber.Double, 1000.0, minValue=0.0
        ),
        QgsProcessingParameterNumber(
            "PIXEL_SIZE", "Heat-map pixel size (metres)", QgsProcessingParameterNumber.Double, 10.0, minValue=0.0
        ),
        QgsProcessingParameterEnum("WEIGHTING", "Heat-map weighting", options=list(WEIGHTINGS), defaultValue=0),
    ):
        parameter(definition, y)
        y += 60
    if not yfcc:
        endpoint = QgsProcessingParameterString(
            "API_ENDPOINT", "Flickr REST endpoint", "https://api.flickr.com/services/rest/"
        )
        endpoint.setFlags(endpoint.flags() | endpoint.FlagAdvanced)
        parameter(endpoint, y)

    def source(name):
        return QgsProcessingModelChildParameterSource.fromModelParameter(name)

    def output_of(child, name):
        return QgsProcessingModelChildParameterSource.fromChildOutput(child, name)

    def static(value):
        return QgsProcessingModelChildParameterSource.fromStaticValue(value)

    def child(child_id, algorithm, description, sources, outputs, x, y=300, after=()):
        step = QgsProcessingModelChildAlgorithm(algorithm)
        step.setChildId(child_id)
        step.setDescription(description)
        step.setPosition(QPointF(x, y))
        step.setDependencies([QgsProcessingModelChildDependency(name) for name in after])
        for name, value in sources.items():
            step.addParameterSources(name, [value])
        model_outputs = {}
        for name, title in outputs.items():
            output = QgsProcessingModelOutput(title, title)
            output.setChildId(child_id)
            output.setChildOutputName(name)
            output.setMandatory(False)
            model_outputs[title] = output
        step.setModelOutputs(model_outputs)
        model.addChildAlgorithm(step)

    # first, in seconds: the settings of the later steps, so that a wrong field or radius fails before the harvest
    child(
        "check",
        "scenicheatmap:checkworkflow",
        "Check the district and heat-map settings",
        {
            "DISTRICTS": source("DISTRICTS"),
            "DISTRICT_ID": source("DISTRICT_ID"),
            "RADIUS": source("RADIUS"),
            "PIXEL_SIZE": source("PIXEL_SIZE"),
        },
        {},
        450,
        y=180,
    )
    if yfcc:
        child(
            "harvest",
            "scenicheatmap:importyfcc",
            "Import YFCC100M photos",
            {
                "INPUT": source("YFCC_FILE"),
                "EXTENT": source("EXTENT"),
                "START": source("START"),
                "END": source("END"),
                "DATE_FIELD": static(1),  # the date taken
            },
            {"IMAGE_FOLDER": "Photo folder", "OUTPUT": "Imported photos"},
            450,
            after=("check",),
        )
    else:
        child(
            "harvest",
            "scenicheatmap:harvestflickr",
            "Harvest Flickr photos",
            {
                "EXTENT": source("EXTENT"),
                "START": source("START"),
                "END": source("END"),
                "AUTHCFG": source("AUTHCFG"),
                "API_ENDPOINT": source("API_ENDPOINT"),
                "GNSS_ONLY": static(True),
                "BLOCK_DAYS": static(7),
            },
            {"IMAGE_FOLDER": "Photo folder", "OUTPUT": "Harvested photos"},
            450,
            after=("check",),
        )
    child(
        "classify",
        "scenicheatmap:classifyphotos",
        "Classify photos",
        {
            "INPUT": output_of("harvest", "OUTPUT"),
            "PATH_FIELD": static("image_path"),
            "MODEL": source("CLASSIFIER"),
            "THRESHOLD": source("THRESHOLD"),
            "VALID_CLASS": static("valid"),
        },
        {"CLASSIFIED": "Classified photos", "VALID": "Valid photos"},
        700,
    )
    child(
        "districts",
        "scenicheatmap:districtstats",
        "Clip and count per district",
        {
            "POINTS": output_of("classify", "VALID"),
            "DISTRICTS": source("DISTRICTS"),
            "DISTRICT_ID": source("DISTRICT_ID"),
        },
        {
            "CLIPPED": "Valid photos in districts",
            "DISTRICTS_OUT": "Districts with counts",
            "SUMMARY": "District summary",
        },
        950,
    )
    child(
        "heatmap",
        "scenicheatmap:heatmap",
        "Heat map",
        {
            "POINTS": output_of("districts", "CLIPPED"),
            "CLIP": source("DISTRICTS"),
            "RADIUS": source("RADIUS"),
            "PIXEL_SIZE": source("PIXEL_SIZE"),
            "WEIGHTING": source("WEIGHTING"),
        },
        {"OUTPUT": "Heat map"},
        1200,
    )
    # optional: no web map unless the user names a file (the step then writes nothing)
    child(
        "webmap",
        "scenicheatmap:webmap",
        "Web map for people without QGIS",
        {
            "HEATMAPS": output_of("heatmap", "OUTPUT"),
            "DISTRICTS": output_of("districts", "DISTRICTS_OUT"),
            "BASEMAP": static(0),
        },
        {"OUTPUT": "Web map"},
        1450,
    )
    model.updateDestinationParameters()
    for definition in model.destinationParameterDefinitions():
        if definition.name().startswith("webmap:"):
            definition.setCreateByDefault(False)
    return model


def main():
    app, plugin = start_qgis()
    for kind, path in (("flickr", MODEL_PATH), ("yfcc", YFCC_MODEL_PATH)):
        model = build(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not model.toFile(str(path)):
            raise SystemExit(f"cannot write {path}")
        print(
            f"wrote {path} with {len(model.childAlgorithms())} steps and {len(model.parameterDefinitions())} parameters"
        )
    plugin.unload()


if __name__ == "__main__":
    main()
