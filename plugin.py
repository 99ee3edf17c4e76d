"""The plugin object QGIS creates: it registers the Processing provider and, in QGIS desktop,
the package installer (Plugins menu, and a message bar when packages are missing)."""

from qgis.core import QgsApplication

from .processing_provider.provider import ScenicHeatmapProvider

MENU = "Scenic Heatmap"


def missing_packages():
    """Import names the installer could provide and that cannot be imported now."""
    from .core import packages

    return packages.missing(sorted(packages.PIP_NAMES))


class ScenicHeatmapPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None
        self.action = None
        self.dialog = None

    def initProcessing(self):  # called by qgis_process too, without iface
        if self.provider is None:
            self.provider = ScenicHeatmapProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)
            # the shipped models find their steps (our own algorithms) only once the provider is registered
            self.provider.refreshAlgorithms()

    def initGui(self):
        self.initProcessing()
        if self.iface is None:
            return
        from qgis.PyQt.QtGui import QIcon
        from qgis.PyQt.QtWidgets import QAction

        from .algorithms.support.base import ICON

        self.action = QAction(QIcon(ICON), "Install Python packages…", self.iface.mainWindow())
        self.action.triggered.connect(self.open_installer)
        self.iface.addPluginToMenu(MENU, self.action)
        absent = missing_packages()
        if absent:
            self.show_missing_bar(absent)

    def show_missing_bar(self, absent):
        """One non-modal bar; its button opens the installer."""
        from qgis.core import Qgis
        from qgis.PyQt.QtWidgets import QPushButton

        from .core import packages

        bar = self.iface.messageBar()
        names = ", ".join(sorted({packages.pip_name(n) for n in absent}))
        item = bar.createMessage(MENU, self.missing_text())
        item.setToolTip(f"Missing Python packages: {names}")
        button = QPushButton("Install…", item)
        button.clicked.connect(self.open_installer)
        item.layout().addWidget(button)
        bar.pushWidget(item, Qgis.Warning, 0)

    def blocked_algorithms(self):
        """Display names of the algorithms whose packages are missing now."""
        from .core import packages

        algorithms = self.provider.algorithms() if self.provider is not None else []
        return sorted(a.displayName() for a in algorithms if packages.missing(getattr(a, "REQUIRES", ())))

    def missing_text(self) -> str:
        blocked = self.blocked_algorithms()
        if not blocked:
            return "Some optional Python packages are missing (faster heat maps, the cluster)."
        what = blocked[0] if len(blocked) == 1 else ", ".join(blocked[:-1]) + " and " + blocked[-1]
        verb = "needs packages that are" if len(blocked) == 1 else "need packages that are"
        return f"{what} {verb} not installed yet."

    def open_installer(self):
        from .algorithms.support.base import packages_folder
        from .gui.installer_dialog import InstallerDialog

        self.dialog = InstallerDialog(packages_folder(), self.iface.mainWindow() if self.iface else None)
        self.dialog.show()

    def unload(self):
        if self.action is not None and self.iface is not None:
            self.iface.removePluginMenu(MENU, self.action)
            self.action = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
