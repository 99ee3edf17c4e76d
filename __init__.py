"""Scenic Heatmap: QGIS entry point. The logic lives in core/ (QGIS-free)."""


def classFactory(iface):  # noqa: N802 - name required by QGIS
    from .plugin import ScenicHeatmapPlugin

    return ScenicHeatmapPlugin(iface)
