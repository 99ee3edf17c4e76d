"""Scenic Heatmap: QGIS entry point. The logic lives in core/ (QGIS-free)."""


def _add_packages_folder():
    """Packages the installer put into the QGIS profile (core/packages.py) become importable,
    after the ones QGIS ships."""
    from qgis.core import QgsApplication

    from .core import packages

    packages.add_to_path(packages.packages_folder(QgsApplication.qgisSettingsDirPath()))


def classFactory(iface):
    _add_packages_folder()
    from .plugin import ScenicHeatmapPlugin

    return ScenicHeatmapPlugin(iface)
