"""The plugin object QGIS creates: it only registers the Processing provider."""

from qgis.core import QgsApplication

from .processing_provider.provider import ScenicHeatmapProvider


class ScenicHeatmapPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 - QGIS API; called by qgis_process, no iface
        if self.provider is None:
            self.provider = ScenicHeatmapProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)
            # the shipped models find their steps (our own algorithms) only once the provider is registered
            self.provider.refreshAlgorithms()

    def initGui(self):  # noqa: N802 - QGIS API
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
