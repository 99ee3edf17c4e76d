"""Parameters as data: each algorithm (or family of algorithms) lists its parameters in one table of
specs; the base class builds the QGIS definitions from it, with each parameter's one-line help, and
reads every value back into one object. The QGIS classes are named here and nowhere else."""

from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, Optional, Sequence, Tuple

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterAuthConfig,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

GEOMETRY = {
    "point": QgsProcessing.TypeVectorPoint,
    "polygon": QgsProcessing.TypeVectorPolygon,
    "any": QgsProcessing.TypeVectorAnyGeometry,
    "table": QgsProcessing.TypeVector,
}


@dataclass(frozen=True)
class Spec:
    kind: str
    name: str
    label: str
    help: str = ""
    default: Any = None
    optional: bool = False
    advanced: bool = False
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    options: Tuple = ()  # enum options, or geometry names of a source or sink
    parent: str = ""  # a field's layer parameter
    file_filter: str = ""
    create: bool = True  # an output made unless the user turns it off
    extra: dict = field(default_factory=dict)

    def advanced_(self) -> "Spec":
        return replace(self, advanced=True)

    def build(self, tr, help_text: str = "") -> QgsProcessingParameterDefinition:
        """The QGIS definition; its help is the spec's own, else help_text (support/parameter_help.py)."""
        label = tr(self.label)
        make = _BUILDERS[self.kind]
        definition = make(self, label)
        if self.advanced:
            definition.setFlags(definition.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        definition.setHelp(tr(self.help or help_text))
        return definition

    def read(self, algorithm, parameters, context):
        return _READERS[self.kind](algorithm, parameters, self.name, context)


def _number(spec, label):
    kind = QgsProcessingParameterNumber.Integer if spec.kind == "integer" else QgsProcessingParameterNumber.Double
    bounds = {}
    if spec.minimum is not None:
        bounds["minValue"] = spec.minimum
    if spec.maximum is not None:
        bounds["maxValue"] = spec.maximum
    return QgsProcessingParameterNumber(spec.name, label, kind, spec.default, spec.optional, **bounds)


def _field(spec, label):
    kind = QgsProcessingParameterField.Any
    if spec.extra.get("numeric"):
        kind = QgsProcessingParameterField.Numeric
    elif spec.extra.get("text"):
        kind = QgsProcessingParameterField.String
    return QgsProcessingParameterField(
        spec.name,
        label,
        spec.default,
        spec.parent,
        kind,
        allowMultiple=spec.kind == "fields",
        optional=spec.optional,
    )


_BUILDERS = {
    "number": _number,
    "integer": _number,
    "enums": lambda s, label: QgsProcessingParameterEnum(s.name, label, list(s.options), True, s.default, s.optional),
    "enum": lambda s, label: QgsProcessingParameterEnum(
        s.name, label, list(s.options), bool(s.extra.get("multiple")), s.default, s.optional
    ),
    "bool": lambda s, label: QgsProcessingParameterBoolean(s.name, label, s.default, s.optional),
    "source": lambda s, label: QgsProcessingParameterFeatureSource(
        s.name, label, [GEOMETRY[g] for g in s.options], s.default, s.optional
    ),
    "raster": lambda s, label: QgsProcessingParameterRasterLayer(s.name, label, s.default, s.optional),
    "rasters": lambda s, label: QgsProcessingParameterMultipleLayers(
        s.name, label, QgsProcessing.TypeRaster, s.default, s.optional
    ),
    "field": _field,
    "fields": _field,
    "crs": lambda s, label: QgsProcessingParameterCrs(s.name, label, s.default, s.optional),
    "point": lambda s, label: QgsProcessingParameterPoint(s.name, label, s.default, s.optional),
    "extent": lambda s, label: QgsProcessingParameterExtent(s.name, label, s.default, s.optional),
    "string": lambda s, label: QgsProcessingParameterString(s.name, label, s.default, False, s.optional),
    "date": lambda s, label: QgsProcessingParameterDateTime(
        s.name, label, QgsProcessingParameterDateTime.Date, s.default, s.optional
    ),
    "file": lambda s, label: QgsProcessingParameterFile(
        s.name,
        label,
        QgsProcessingParameterFile.File,
        s.extra.get("extension", ""),
        s.default,
        s.optional,
        s.file_filter,
    ),
    "folder": lambda s, label: QgsProcessingParameterFile(
        s.name, label, QgsProcessingParameterFile.Folder, "", s.default, s.optional
    ),
    "authcfg": lambda s, label: QgsProcessingParameterAuthConfig(s.name, label, s.default or "", s.optional),
    "sink": lambda s, label: QgsProcessingParameterFeatureSink(
        s.name, label, GEOMETRY[s.options[0] if s.options else "any"], s.default, s.optional, s.create
    ),
    "raster_out": lambda s, label: QgsProcessingParameterRasterDestination(
        s.name, label, s.default, s.optional, s.create
    ),
    "file_out": lambda s, label: QgsProcessingParameterFileDestination(
        s.name, label, s.file_filter, s.default, s.optional, s.create
    ),
    "folder_out": lambda s, label: QgsProcessingParameterFolderDestination(
        s.name, label, s.default, s.optional, s.create
    ),
}

_READERS = {
    "number": lambda a, p, n, c: a.parameterAsDouble(p, n, c),
    "integer": lambda a, p, n, c: a.parameterAsInt(p, n, c),
    "enum": lambda a, p, n, c: a.parameterAsEnum(p, n, c),
    "enums": lambda a, p, n, c: a.parameterAsEnums(p, n, c) if p.get(n) not in (None, "", []) else [],
    "bool": lambda a, p, n, c: a.parameterAsBool(p, n, c),
    "source": lambda a, p, n, c: a.parameterAsSource(p, n, c),
    "raster": lambda a, p, n, c: a.parameterAsRasterLayer(p, n, c),
    "rasters": lambda a, p, n, c: a.parameterAsLayerList(p, n, c),
    "field": lambda a, p, n, c: a.parameterAsString(p, n, c),
    "fields": lambda a, p, n, c: a.parameterAsFields(p, n, c),
    "crs": lambda a, p, n, c: a.parameterAsCrs(p, n, c),
    "point": lambda a, p, n, c: None if p.get(n) in (None, "") else p.get(n),  # read in a CRS by the adapter
    "extent": lambda a, p, n, c: None if p.get(n) in (None, "") else p.get(n),
    "string": lambda a, p, n, c: a.parameterAsString(p, n, c),
    "date": lambda a, p, n, c: a.parameterAsDateTime(p, n, c),
    "file": lambda a, p, n, c: a.parameterAsFile(p, n, c),
    "folder": lambda a, p, n, c: a.parameterAsFile(p, n, c),
    "authcfg": lambda a, p, n, c: a.parameterAsString(p, n, c),
    "sink": lambda a, p, n, c: None,  # created where its fields are known (support/sinks.py)
    "raster_out": lambda a, p, n, c: a.parameterAsOutputLayer(p, n, c),
    "file_out": lambda a, p, n, c: a.parameterAsFileOutput(p, n, c),
    "folder_out": lambda a, p, n, c: a.parameterAsString(p, n, c),
}


def read_all(algorithm, specs: Sequence[Spec], parameters, context) -> SimpleNamespace:
    """Every parameter's value, as attributes named like the parameters (RADIUS -> .radius)."""
    return SimpleNamespace(**{s.name.lower(): s.read(algorithm, parameters, context) for s in specs})


# -- one constructor per kind: a table line reads like the dialog ---------------------------------


def number(name, label, default=None, minimum=None, maximum=None, **more) -> Spec:
    return Spec("number", name, label, default=default, minimum=minimum, maximum=maximum, **more)


def integer(name, label, default=None, minimum=None, maximum=None, **more) -> Spec:
    return Spec("integer", name, label, default=default, minimum=minimum, maximum=maximum, **more)


def enum(name, label, options, default=0, multiple=False, **more) -> Spec:
    kind, extra = ("enums", {"multiple": True}) if multiple else ("enum", {})
    return Spec(kind, name, label, default=default, options=tuple(options), extra=extra, **more)


def boolean(name, label, default=False, **more) -> Spec:
    return Spec("bool", name, label, default=default, **more)


def source(name, label, geometry=("point",), **more) -> Spec:
    return Spec("source", name, label, options=tuple(geometry), **more)


def field_of(name, label, parent, numeric=False, text=False, multiple=False, **more) -> Spec:
    extra = {"numeric": numeric, "text": text}
    return Spec("fields" if multiple else "field", name, label, parent=parent, extra=extra, **more)


def sink(name, label, geometry="any", **more) -> Spec:
    return Spec("sink", name, label, options=(geometry,), **more)


def file_out(name, label, file_filter, **more) -> Spec:
    return Spec("file_out", name, label, file_filter=file_filter, **more)


def file_in(name, label, extension="", folder=False, **more) -> Spec:
    return Spec("folder" if folder else "file", name, label, extra={"extension": extension}, **more)


def simple(kind, name, label, **more) -> Spec:
    """raster, rasters, crs, point, extent, string, date, file, folder, authcfg, raster_out, folder_out."""
    return Spec(kind, name, label, **more)
