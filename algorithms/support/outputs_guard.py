"""The checks and clean-up every algorithm gets from ScenicAlgorithm, around its processAlgorithm:
each file output is tried in a temporary file next to it before any work, and when a run fails,
the files it created are removed so that no half-written result is left behind."""

import os
import tempfile

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
)

_FILE_DESTINATIONS = (
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
)


def _plain_path(value) -> str:
    """The file behind a destination value, or '' for memory layers, temporary outputs and
    database URIs that are not a path on disk."""
    virtual = ("memory:", "TEMPORARY_OUTPUT", "ogr:", "postgres:")
    if not isinstance(value, str) or not value or value.startswith(virtual):
        return ""
    return value.split("|", 1)[0]


def special_file_inputs(parameters) -> str:
    """A message when a parameter names a FIFO, socket or device: QGIS and GDAL would block for ever
    opening it as a layer or an extent. '' when there is none."""
    for name, value in parameters.items():
        if not isinstance(value, str) or not value or "\n" in value:
            continue
        path = value.split("|", 1)[0]
        try:
            if os.path.exists(path) and not (os.path.isfile(path) or os.path.isdir(path)):
                return f"{name} names a FIFO, socket or device, not a file: {path}"
        except (OSError, ValueError):
            continue
    return ""


def destinations(algorithm, parameters, context) -> dict:
    """{parameter name: (path, is_folder)} for every destination the user gave as a file or folder."""
    found = {}
    for definition in algorithm.destinationParameterDefinitions():
        name = definition.name()
        if name not in parameters or parameters[name] is None:
            continue
        if isinstance(definition, QgsProcessingParameterFolderDestination):
            path = _plain_path(algorithm.parameterAsString(parameters, name, context))
            is_folder = True
        elif isinstance(definition, _FILE_DESTINATIONS):
            value = parameters[name]
            sink = getattr(value, "sink", None)  # QgsProcessingOutputLayerDefinition
            raw = sink.staticValue() if sink is not None else value
            path = _plain_path(raw if isinstance(raw, str) else str(raw))
            is_folder = False
        else:
            continue
        if path:
            found[name] = (os.path.abspath(path), is_folder)
    return found


def _try_write(folder: str) -> str:
    """'' when a file can be created in folder, else why not."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".scenic-write-check-"):
            pass
    except OSError as error:
        return error.strerror or str(error)
    return ""


def check_destinations(found: dict):
    """Every output can be created: its folder exists and takes a file, it is not a folder or a
    device, and no two outputs share a path."""
    seen = {}
    for name, (path, is_folder) in found.items():
        if path in seen:
            raise QgsProcessingException(f"{name} and {seen[path]} point at the same file: {path}")
        seen[path] = name
        if is_folder:
            if os.path.exists(path) and not os.path.isdir(path):
                raise QgsProcessingException(f"{name} is a file, not a folder: {path}")
            folder = path if os.path.isdir(path) else os.path.dirname(path)
        else:
            if os.path.isdir(path):
                raise QgsProcessingException(f"{name} is a folder, not a file: {path}")
            if os.path.exists(path) and not os.path.isfile(path):
                raise QgsProcessingException(f"{name} is not a regular file: {path}")
            folder = os.path.dirname(path)
        if not os.path.isdir(folder):
            raise QgsProcessingException(f"The folder of {name} does not exist: {folder}")
        reason = _try_write(folder)
        if reason:
            raise QgsProcessingException(f"{name} cannot be written in {folder}: {reason}")


def snapshot(found: dict) -> dict:
    """What exists now in each output's folder, to know afterwards what this run created."""
    state = {}
    for path, is_folder in found.values():
        folder = path if is_folder else os.path.dirname(path)
        if folder not in state:
            state[folder] = set(os.listdir(folder)) if os.path.isdir(folder) else None
    return state


def remove_created(found: dict, before: dict):
    """Removes the files a failed run created: each file output with its side files (.qml,
    .aux.xml, a shapefile's parts) and whatever appeared in an output folder."""
    for path, is_folder in found.values():
        folder = path if is_folder else os.path.dirname(path)
        existed = before.get(folder)
        if is_folder:
            if existed is None:
                _remove_tree(path)
            else:
                for entry in set(os.listdir(path)) - existed if os.path.isdir(path) else ():
                    _remove_tree(os.path.join(path, entry))
            continue
        if not os.path.isdir(folder):
            continue
        stem = os.path.splitext(os.path.basename(path))[0]
        for entry in set(os.listdir(folder)) - (existed or set()):
            if entry == os.path.basename(path) or entry.startswith(stem + "."):
                _remove_tree(os.path.join(folder, entry))


def _remove_tree(path: str):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            for entry in os.listdir(path):
                _remove_tree(os.path.join(path, entry))
            os.rmdir(path)
        elif os.path.lexists(path):
            os.remove(path)
    except OSError:
        pass  # best effort: the run's own error is what the user needs to see
