"""What every Scenic Heatmap algorithm shares: naming, help, icon, output checks."""

import os

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

ICON = os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources", "icon.svg")


class ScenicAlgorithm(QgsProcessingAlgorithm):
    """Subclasses set NAME, DISPLAY, GROUP and HELP and implement the rest."""

    NAME = ""
    DISPLAY = ""
    GROUP = "Photo density"
    HELP = ""

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802 - QGIS API
        return self.tr(self.DISPLAY)

    def group(self):
        return self.tr(self.GROUP)

    def groupId(self):  # noqa: N802 - QGIS API
        return self.GROUP.lower().replace(" ", "")

    def shortHelpString(self):  # noqa: N802 - QGIS API
        return self.tr(self.HELP)

    def icon(self):
        return QIcon(ICON)

    def tr(self, text):
        return QCoreApplication.translate(type(self).__name__, text)

    def createInstance(self):  # noqa: N802 - QGIS API
        return type(self)()


def check_writable(path: str, what: str = "output"):
    """Fail before any work when a file output cannot be written."""
    if not path or path.startswith(("memory:", "TEMPORARY_OUTPUT")):
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise QgsProcessingException(f"The {what} folder does not exist: {folder}")
    if not os.access(folder, os.W_OK):
        raise QgsProcessingException(f"The {what} folder is not writable: {folder}")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise QgsProcessingException(f"The {what} file is not writable: {path}")
