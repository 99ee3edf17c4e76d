"""QgsFields from (name, QVariant type) pairs, shared by the algorithms."""

from qgis.core import QgsField, QgsFields


def make_fields(spec) -> QgsFields:
    fields = QgsFields()
    for name, kind in spec:
        fields.append(QgsField(name, kind))
    return fields
