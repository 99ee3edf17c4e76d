"""What every Scenic Heatmap algorithm shares: naming, help, icon, output checks."""

import os
import re
import traceback

from qgis.core import QgsApplication, QgsProcessingAlgorithm, QgsProcessingException
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ...core import packages
from ...core.child import WorkerError, python_executable
from ...core.errors import Cancelled, Progress, UserError
from . import outputs_guard
from .parameter_help import help_for
from .parameters import read_all

PLUGIN = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
README = os.path.join(PLUGIN, "README.md")


def homepage() -> str:
    """metadata.txt's homepage (where the README is published)."""
    try:
        with open(os.path.join(PLUGIN, "metadata.txt"), encoding="utf-8") as fh:
            return next((line.split("=", 1)[1].strip() for line in fh if line.startswith("homepage=")), "")
    except OSError:
        return ""


def readme_section(name: str) -> str:
    """The README heading that names `scenicheatmap:<name>`, as a web address with its anchor."""
    try:
        with open(README, encoding="utf-8") as fh:
            headings = [line.lstrip("#").strip() for line in fh if line.startswith("#")]
    except OSError:
        return homepage()
    heading = next((h for h in headings if f"`scenicheatmap:{name}`" in h), "")
    if not heading:
        return homepage()
    anchor = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")  # the web's heading anchors
    return f"{homepage()}#{anchor}"


ICON = os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources", "icon.svg")


class ScenicAlgorithm(QgsProcessingAlgorithm):
    """Subclasses set NAME, DISPLAY, GROUP and HELP and implement the rest.

    Every subclass's processAlgorithm is wrapped (see _guarded): its file outputs are tried before
    any work, a failed run removes the files it created, and an unexpected Python error reaches
    the user as one message, with the traceback only in the log."""

    NAME = ""
    DISPLAY = ""
    GROUP = "Photo density"
    HELP = ""
    REQUIRES = ()  # import names of the optional packages a run needs (core/packages.PIP_NAMES)
    OUTPUTS = {}  # values returned beside the destinations: {"numbers": (...), "strings": (...), ...}
    KEEP_ON_FAILURE = ()  # outputs that hold resumable work (harvest images and journal): never cleaned
    PARAMETERS = ()  # the parameter table (support/parameters.py), in dialog order
    HELP_SECTION = ""  # the README section's algorithm name, when it is another's

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "processAlgorithm" in cls.__dict__:
            cls.processAlgorithm = _guarded(cls.__dict__["processAlgorithm"])
        if "initAlgorithm" in cls.__dict__:
            cls.initAlgorithm = _declaring(cls.__dict__["initAlgorithm"])

    def initAlgorithm(self, config=None):
        for spec in self.PARAMETERS:
            self.addParameter(spec.build(self.tr, help_for(self.NAME, spec.name)))
        declare_outputs(self, **self.OUTPUTS)

    def read(self, parameters, context):
        """Every parameter's value in one object (RADIUS -> .radius), read once."""
        return read_all(self, self.PARAMETERS, parameters, context)

    def name(self):
        return self.NAME

    def displayName(self):
        return self.tr(self.DISPLAY)

    def group(self):
        return self.tr(self.GROUP)

    def groupId(self):
        return self.GROUP.lower().replace(" ", "")

    def shortHelpString(self):
        return self.tr(self.HELP)

    def helpUrl(self):
        """This algorithm's section of the README, where every option is explained with its unit."""
        return readme_section(self.HELP_SECTION or self.NAME)

    def icon(self):
        return QIcon(ICON)

    def tr(self, text):
        return QCoreApplication.translate(type(self).__name__, text)

    def checkParameterValues(self, parameters, context):
        reason = outputs_guard.special_file_inputs(parameters)
        if reason:
            return False, reason
        return super().checkParameterValues(parameters, context)

    def createInstance(self):
        return type(self)()


def _declaring(init):
    def initAlgorithm(self, config=None):
        init(self, config)
        declare_outputs(self, **self.OUTPUTS)

    return initAlgorithm


def _guarded(process):
    def processAlgorithm(self, parameters, context, feedback):
        reason = outputs_guard.special_file_inputs(parameters)
        if reason:
            raise QgsProcessingException(reason)
        absent = packages.missing(self.REQUIRES)
        if absent:
            raise missing_packages_error(self, absent)
        found = outputs_guard.destinations(self, parameters, context)
        outputs_guard.check_destinations(found)
        found = {name: value for name, value in found.items() if name not in self.KEEP_ON_FAILURE}
        before = outputs_guard.snapshot(found)
        try:
            return process(self, parameters, context, feedback)
        except QgsProcessingException:
            outputs_guard.remove_created(found, before)
            raise
        except UserError as error:  # core's one error base: its message is written for the user
            outputs_guard.remove_created(found, before)
            raise QgsProcessingException(str(error)) from None
        except Cancelled as error:
            outputs_guard.remove_created(found, before)
            raise QgsProcessingException(str(error) or "Cancelled; nothing was written.") from None
        except packages.MissingPackages as error:
            outputs_guard.remove_created(found, before)
            raise missing_packages_error(self, error.names) from None
        except Exception as error:  # a bug: one clear line for the user, the details in the log
            outputs_guard.remove_created(found, before)
            if feedback is not None:
                feedback.pushDebugInfo(traceback.format_exc())
            raise QgsProcessingException(
                f"{self.displayName()} stopped on an unexpected error ({type(error).__name__}: {error}). "
                "Nothing was written. Please report this with the log."
            ) from None

    processAlgorithm.__wrapped__ = process
    return processAlgorithm


def progress(feedback, start: float = 0.0, end: float = 1.0) -> Progress:
    """Core's Progress onto a Processing feedback (percent and progress text, cancel)."""

    def report(fraction, message):
        feedback.setProgress(100.0 * fraction)
        if message:
            feedback.setProgressText(message)

    return Progress(report, feedback.isCanceled, start, end)


def packages_folder() -> str:
    return packages.packages_folder(QgsApplication.qgisSettingsDirPath())


def missing_packages_error(algorithm, import_names) -> QgsProcessingException:
    """One message naming what is missing and the command that installs it for this QGIS."""
    try:
        python = python_executable()
    except WorkerError:
        python = "python3"
    names = sorted({packages.pip_name(n) for n in import_names})
    what = f"package {names[0]}" if len(names) == 1 else "packages " + ", ".join(names)
    return QgsProcessingException(
        f"{algorithm.displayName()} needs the Python {what}, which this QGIS cannot import. "
        + packages.install_hint(import_names, packages_folder(), python)
    )


def declare_outputs(algorithm, strings=(), numbers=(), files=(), folders=(), layers=()):
    """Declares the extra values processAlgorithm returns, so that the modeler can chain them."""
    from qgis.core import (
        QgsProcessingOutputFile,
        QgsProcessingOutputFolder,
        QgsProcessingOutputNumber,
        QgsProcessingOutputString,
        QgsProcessingOutputVectorLayer,
    )

    for kind, names in (
        (QgsProcessingOutputString, strings),
        (QgsProcessingOutputNumber, numbers),
        (QgsProcessingOutputFile, files),
        (QgsProcessingOutputFolder, folders),
        (QgsProcessingOutputVectorLayer, layers),
    ):
        for name in names:
            algorithm.addOutput(kind(name, name.replace("_", " ").capitalize()))
