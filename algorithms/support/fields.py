"""QgsFields from (name, QVariant type) pairs, and the photo fields every source writes alike (the
harvest's names), so that every later step reads any source unchanged."""

import datetime

from qgis.core import QgsField, QgsFields
from qgis.PyQt.QtCore import QVariant

PHOTO_FIELDS = (
    ("photo_id", QVariant.String),
    ("owner", QVariant.String),
    ("owner_name", QVariant.String),
    ("title", QVariant.String),
    ("taken", QVariant.DateTime),
    ("uploaded", QVariant.DateTime),
    ("lat", QVariant.Double),
    ("lon", QVariant.Double),
)


def as_date(value):
    """An optional date parameter (QDateTime) as a date, or None when unset."""
    if value is None or not value.isValid():
        return None
    day = value.date()
    return datetime.date(day.year(), day.month(), day.day())


def make_fields(spec) -> QgsFields:
    fields = QgsFields()
    for name, kind in spec:
        fields.append(QgsField(name, kind))
    return fields
