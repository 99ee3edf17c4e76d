"""core/packages.py: what is missing, and pip --target into a folder the plugin owns (offline)."""

import subprocess
import sys

import pytest
from wheels import make_wheel

from scenic_heatmap.core import packages


def test_missing_names_only_what_cannot_be_imported():
    assert packages.missing(["numpy", "scenic_no_such_package"]) == ["scenic_no_such_package"]


def test_need_raises_a_missing_packages_error_naming_the_pip_name():
    with pytest.raises(packages.MissingPackages, match="opencv-python-headless"):
        packages.need("cv2") if not packages.is_available("cv2") else packages.need("cv2.scenic_nothing")


def test_requirement_lines_skip_installed_packages_and_numpy(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\nnumpy<2\nscipy==1.17.1\nscenictinypkg==1.0  # a note\n-r other.txt\n")
    assert packages.requirement_lines(str(requirements)) == ["scenictinypkg==1.0"]
    assert packages.requirement_lines(str(requirements), only_missing=False) == ["scipy==1.17.1", "scenictinypkg==1.0"]


def test_keep_versions_keeps_numpy_on_the_major_version_qgis_uses():
    import numpy

    assert packages.keep_versions() == [f"numpy<{int(numpy.__version__.split('.')[0]) + 1}"]


def test_install_from_a_local_wheel_folder_into_a_target_then_import(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels)
    target = tmp_path / "profile" / "python" / packages.FOLDER_NAME
    command = packages.pip_command(
        sys.executable, str(target), ["scenictinypkg==1.0"], find_links=str(wheels), no_index=True
    )
    lines = []
    assert packages.run_pip(command, lines.append) == 0, "\n".join(lines)
    assert any(line.startswith("Successfully installed scenictinypkg") for line in lines)
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from scenic_heatmap.core import packages; "
            f"packages.add_to_path({str(target)!r}); import scenictinypkg; print(scenictinypkg.VALUE)",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": ":".join(sys.path)},
    )
    assert check.stdout.strip() == "42", check.stderr


def test_cancel_stops_pip(tmp_path):
    command = [sys.executable, "-c", "import time\nfor i in range(100):\n print(i, flush=True); time.sleep(0.1)"]
    seen = []
    assert packages.run_pip(command, seen.append, cancelled=lambda: len(seen) >= 3) == -1
    assert len(seen) == 3


def test_progress_rises_and_ends_at_one():
    fraction = 0.0
    for line in [
        "Collecting a",
        "Downloading a.whl",
        "Collecting b",
        "Installing collected packages: a, b",
        "Successfully installed a-1 b-2",
    ]:
        new = packages.progress_of(line, fraction)
        assert new >= fraction
        fraction = new
    assert fraction == 1.0


def test_install_hint_names_the_command():
    hint = packages.install_hint(["exifread", "PIL"], "/p/scenic_heatmap_packages", "/usr/bin/python3")
    assert '"/usr/bin/python3" -m pip install --target "/p/scenic_heatmap_packages" exifread pillow' in hint
