"""Map images without a canvas: safe on Processing's worker thread (QImage, custom painter job)."""

from qgis.core import QgsMapRendererCustomPainterJob, QgsMapSettings
from qgis.PyQt.QtCore import QRectF, QSize, Qt
from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter


def render(layers, extent, crs, width: int, height: int, title: str = "") -> QImage:
    """The layers (top first) drawn into a white image, with an optional title in the top left."""
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setExtent(extent)
    settings.setOutputSize(QSize(width, height))
    settings.setBackgroundColor(QColor("white"))
    image = QImage(width, height, QImage.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    job = QgsMapRendererCustomPainterJob(settings, painter)
    job.renderSynchronously()
    if title:
        painter.setPen(QColor("black"))
        painter.setFont(QFont("Sans", max(9, width // 64), QFont.Bold))
        painter.drawText(QRectF(10, 6, width - 20, height - 12), Qt.AlignTop | Qt.AlignLeft, title)
    painter.end()
    return image


def strip(images, columns: int, caption: str = "") -> QImage:
    """Images of one size side by side, `columns` per row, with a caption line below."""
    width, height = images[0].width(), images[0].height()
    rows = (len(images) + columns - 1) // columns
    footer = 48 if caption else 0
    sheet = QImage(width * min(columns, len(images)), height * rows + footer, QImage.Format_ARGB32_Premultiplied)
    sheet.fill(QColor("white"))
    painter = QPainter(sheet)
    painter.setPen(QColor("#999999"))
    for i, image in enumerate(images):
        x, y = (i % columns) * width, (i // columns) * height
        painter.drawImage(x, y, image)
        painter.drawRect(x, y, width - 1, height - 1)
    if caption:
        painter.setPen(QColor("black"))
        painter.setFont(QFont("Sans", 9))
        painter.drawText(QRectF(10, height * rows, sheet.width() - 20, footer),
                         Qt.AlignVCenter | Qt.AlignLeft | Qt.TextWordWrap, caption)
    painter.end()
    return sheet
