"""core.files: atomic writes, and telling regular files from FIFOs and devices."""

import os

import pytest

from scenic_heatmap.core import files


def test_regular_files_folders_fifos_and_devices(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8")
    fifo = tmp_path / "trap.jpg"
    os.mkfifo(fifo)
    assert files.not_regular_reason(str(photo)) == ""
    assert files.not_regular_reason(str(tmp_path / "missing.jpg")) == ""  # the caller says "not found"
    assert "FIFO" in files.not_regular_reason(str(fifo))
    assert "device" in files.not_regular_reason("/dev/null")
    assert "folder" in files.not_regular_reason(str(tmp_path))


def test_write_text_atomically_leaves_no_part_file(tmp_path):
    target = tmp_path / "page.html"
    files.write_text_atomically(str(target), "<p>ü</p>")
    assert target.read_text(encoding="utf-8") == "<p>ü</p>" and os.listdir(tmp_path) == ["page.html"]


def test_a_failed_atomic_write_leaves_neither_file(tmp_path):
    target = tmp_path / "page.html"
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate cannot be UTF-8: the write fails midway
        files.write_text_atomically(str(target), "<p>\ud800</p>")
    assert os.listdir(tmp_path) == []
