"""Installs the plugin's pinned Python packages into a folder it owns (pip --target into the QGIS
profile), with progress, the pip log and cancel. The command comes from core/packages.py."""

import os
import tempfile

from qgis.PyQt.QtCore import QProcess, QProcessEnvironment
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ..core import packages
from ..core.child import WorkerError, python_executable

REQUIREMENTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "requirements.txt")
SIZE_NOTE = (
    "All of them take about 2.1 GB (TensorFlow alone 1.3 GB), which only 'Classify photos' and 'Train "
    "photo classifier' need; the heat maps, districts and prices work without it."
)


class InstallerDialog(QDialog):
    """Shows what is missing, runs pip in a QProcess, streams its log, and can be cancelled."""

    def __init__(
        self,
        folder: str,
        parent=None,
        requirements: str = REQUIREMENTS,
        find_links: str = "",
        no_index: bool = False,
        by_feature=None,
    ):
        """by_feature: offer the feature sets of core/packages.FEATURES (default: for the plugin's own
        requirements)."""
        super().__init__(parent)
        self.setWindowTitle("Scenic Heatmap: install Python packages")
        self.folder, self.find_links, self.no_index = folder, find_links, no_index
        self.requirements = requirements
        # one box per feature set (the plugin's own requirements): install only what you will use
        self.boxes = {}
        if by_feature is None:
            by_feature = os.path.abspath(requirements) == os.path.abspath(REQUIREMENTS)
        if by_feature:
            for name, (what, imports, size) in packages.FEATURES.items():
                missing = packages.missing(imports)
                box = QCheckBox(f"{name}: {what} (about {size} MB)" + ("" if missing else ", installed"))
                box.setChecked(bool(missing) and size < 1000)  # TensorFlow only when asked for
                box.setEnabled(bool(missing))
                box.toggled.connect(self._update)
                self.boxes[name] = box
        self.wanted = self._wanted()
        self.process = None
        self.exit_code = None
        self.cancelled = False
        self._constraints = None

        self.summary = QLabel(self._summary_text())
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMinimumSize(640, 260)
        self.buttons = QDialogButtonBox()
        self.install_button = QPushButton("Install")
        self.cancel_button = QPushButton("Cancel")
        self.close_button = QPushButton("Close")
        self.cancel_button.setEnabled(False)
        for button, role in (
            (self.install_button, QDialogButtonBox.AcceptRole),
            (self.cancel_button, QDialogButtonBox.RejectRole),
            (self.close_button, QDialogButtonBox.DestructiveRole),
        ):
            self.buttons.addButton(button, role)
        self.install_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.reject)
        self.install_button.setEnabled(bool(self.wanted))

        layout = QVBoxLayout(self)
        for widget in (self.summary, *self.boxes.values(), self.progress, self.log, self.buttons):
            layout.addWidget(widget)

    def chosen(self):
        """The ticked feature sets, or None when the dialog shows none (every requirement is wanted)."""
        return [name for name, box in self.boxes.items() if box.isChecked()] if self.boxes else None

    def _wanted(self):
        return packages.requirement_lines(self.requirements, features=self.chosen())

    def _update(self):
        self.wanted = self._wanted()
        self.summary.setText(self._summary_text())
        self.install_button.setEnabled(bool(self.wanted))

    def _summary_text(self) -> str:
        if not self.wanted:
            if self.boxes and packages.missing(sorted(packages.PIP_NAMES)):
                return "Tick what you want to use; each set installs only its own packages."
            return "Every package the plugin uses can be imported. Nothing to install."
        return (
            f"Missing: {', '.join(self.wanted)}.<br>They go into <tt>{self.folder}</tt>, a folder of "
            f"your QGIS profile; no administrator rights are needed.<br>{SIZE_NOTE}"
        )

    def command(self):
        try:
            python = python_executable()
        except WorkerError as error:
            raise RuntimeError(str(error)) from None
        handle, self._constraints = tempfile.mkstemp(prefix="scenic-constraints-", suffix=".txt")
        with os.fdopen(handle, "w") as fh:
            fh.write("\n".join(packages.keep_versions()) + "\n")
        return packages.pip_command(
            python, self.folder, self.wanted, self._constraints, self.find_links or None, self.no_index
        )

    def start(self):
        os.makedirs(self.folder, exist_ok=True)
        try:
            program, *arguments = self.command()
        except RuntimeError as error:
            self._append(str(error))
            return
        self._append("$ " + " ".join([program] + arguments))
        self.process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONNOUSERSITE", "1")
        self.process.setProcessEnvironment(environment)
        self.process.setProcessChannelMode(QProcess.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._finished)
        self.install_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(2)
        self.process.start(program, arguments)

    def cancel(self):
        if self.process is not None and self.process.state() != QProcess.NotRunning:
            self.cancelled = True
            self.process.kill()

    def _append(self, text: str):
        self.log.appendPlainText(text)

    def _read(self):
        data = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        fraction = self.progress.value() / 100
        for line in data.splitlines():
            self._append(line)
            fraction = packages.progress_of(line, fraction)
        self.progress.setValue(int(fraction * 100))

    def _finished(self, code, status):
        self.exit_code = -1 if self.cancelled else code
        self.cancel_button.setEnabled(False)
        if self._constraints and os.path.exists(self._constraints):
            os.remove(self._constraints)
        if self.cancelled:
            self._append("Cancelled. Packages pip had finished stay in the folder; run Install again to complete.")
            self.install_button.setEnabled(True)
            return
        if code != 0:
            self._append(f"pip ended with code {code}; see the log above. Nothing else was changed.")
            self.install_button.setEnabled(True)
            return
        self.progress.setValue(100)
        packages.add_to_path(self.folder)
        if packages.needs_restart(packages.import_name_of(line) for line in self.wanted):
            self._append("Done. Restart QGIS so that the new versions are used.")
        else:
            self._append("Done. The algorithms can use the packages now; a QGIS restart is not needed.")
