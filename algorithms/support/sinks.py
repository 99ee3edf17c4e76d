"""Writing features into Processing sinks, every write checked. A failed run's files are removed
by the output guard (outputs_guard.py); this module makes sure no failed write goes unnoticed."""

from qgis.core import QgsFeature, QgsFeatureSink, QgsProcessingException


def write_feature(sink, feature, output: str):
    """Adds one feature; a refused write (read-only folder, full disk, wrong geometry) stops the run
    with a message that names the output, instead of reporting a table that was never written."""
    if not sink.addFeature(feature, QgsFeatureSink.FastInsert):
        error = sink.lastError() if hasattr(sink, "lastError") else ""
        raise QgsProcessingException(f"Could not write to the {output} output{': ' + error if error else ''}.")


class Sink:
    """One output: created from its parameter, rows written with checks. `dest` is its result value."""

    def __init__(self, algorithm, parameters, name, context, fields, wkb_type, crs=None, optional=False):
        """optional: an output the user may leave unset; then `dest` is None and rows are dropped."""
        args = (parameters, name, context, fields, wkb_type) + ((crs,) if crs is not None else ())
        self.sink, self.dest = algorithm.parameterAsSink(*args)
        if self.sink is None and not optional:
            raise QgsProcessingException(algorithm.invalidSinkError(parameters, name))
        self.name, self.fields = name, fields

    def add(self, attributes, geometry=None):
        if self.sink is None:
            return
        feature = QgsFeature(self.fields)
        if geometry is not None:
            feature.setGeometry(geometry)
        feature.setAttributes(list(attributes))
        write_feature(self.sink, feature, self.name)

    def add_feature(self, feature):
        if self.sink is not None:
            write_feature(self.sink, feature, self.name)
