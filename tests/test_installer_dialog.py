"""gui/installer_dialog.py headless: installs from a local wheel folder into a temporary target
with QProcess, shows the log and progress, and cancels."""

import sys

from qgis.PyQt.QtCore import QEventLoop, QTimer
from wheels import make_wheel

from scenic_heatmap.gui.installer_dialog import InstallerDialog


def wait_until_finished(dialog, seconds=120):
    loop = QEventLoop()
    dialog.process.finished.connect(loop.quit)
    QTimer.singleShot(seconds * 1000, loop.quit)
    if dialog.process.state() != 0:
        loop.exec_()


def test_installs_into_the_target_and_the_package_imports(tmp_path, qgis_app):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, value=7)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("scenictinypkg==1.0\nnumpy<2\n")
    target = tmp_path / "profile" / "python" / "scenic_heatmap_packages"
    dialog = InstallerDialog(str(target), requirements=str(requirements), find_links=str(wheels), no_index=True)
    assert dialog.wanted == ["scenictinypkg==1.0"]
    assert "scenictinypkg" in dialog.summary.text() and "TensorFlow" in dialog.summary.text()
    dialog.start()
    wait_until_finished(dialog)
    log = dialog.log.toPlainText()
    assert dialog.exit_code == 0, log
    assert "Successfully installed scenictinypkg-1.0" in log and "restart is not needed" in log
    assert dialog.progress.value() == 100
    assert str(target) in sys.path
    import scenictinypkg

    assert scenictinypkg.VALUE == 7 and scenictinypkg.__file__.startswith(str(target))
    sys.path.remove(str(target))
    del sys.modules["scenictinypkg"]  # later tests count it as not installed


def test_cancel_kills_pip_and_says_so(tmp_path, qgis_app, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("scenictinypkg==1.0\n")
    dialog = InstallerDialog(str(tmp_path / "target"), requirements=str(requirements))
    monkeypatch.setattr(dialog, "command", lambda: [sys.executable, "-c", "import time; time.sleep(60)"])
    dialog.start()
    QTimer.singleShot(300, dialog.cancel)
    wait_until_finished(dialog, seconds=20)
    assert dialog.exit_code == -1
    assert "Cancelled" in dialog.log.toPlainText()
    assert dialog.install_button.isEnabled()


def test_nothing_to_install_says_so(tmp_path, qgis_app):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy<2\n")
    dialog = InstallerDialog(str(tmp_path / "t"), requirements=str(requirements))
    assert "Nothing to install" in dialog.summary.text() and not dialog.install_button.isEnabled()


def test_a_feature_set_installs_only_its_own_packages(tmp_path, qgis_app, monkeypatch):
    from scenic_heatmap.core import packages

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, name="scenicmapspkg", value=1)
    make_wheel(wheels, name="scenicbigpkg", value=2)
    monkeypatch.setattr(
        packages,
        "FEATURES",
        {"maps only": ("heat maps", ("scenicmapspkg",), 5), "classification": ("the CNN", ("scenicbigpkg",), 1400)},
    )
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("scenicmapspkg==1.0\nscenicbigpkg==1.0\n")
    target = tmp_path / "target"
    dialog = InstallerDialog(
        str(target), requirements=str(requirements), find_links=str(wheels), no_index=True, by_feature=True
    )
    boxes = dialog.boxes
    assert "about 1400 MB" in boxes["classification"].text() and not boxes["classification"].isChecked()
    assert boxes["maps only"].isChecked() and dialog.wanted == ["scenicmapspkg==1.0"]
    boxes["classification"].setChecked(True)
    assert dialog.wanted == ["scenicmapspkg==1.0", "scenicbigpkg==1.0"]
    boxes["classification"].setChecked(False)
    dialog.start()
    wait_until_finished(dialog)
    assert dialog.exit_code == 0, dialog.log.toPlainText()
    assert (target / "scenicmapspkg").is_dir() and not (target / "scenicbigpkg").exists()
    sys.path.remove(str(target))
