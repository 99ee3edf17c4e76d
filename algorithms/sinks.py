"""Writing features into Processing sinks, every write checked."""

from qgis.core import QgsFeatureSink, QgsProcessingException


def write_feature(sink, feature, output: str):
    """Adds one feature; a refused write (read-only folder, full disk, wrong geometry) stops the run
    with a message that names the output, instead of reporting a table that was never written."""
    if not sink.addFeature(feature, QgsFeatureSink.FastInsert):
        error = sink.lastError() if hasattr(sink, "lastError") else ""
        raise QgsProcessingException(f"Could not write to the {output} output{': ' + error if error else ''}.")
