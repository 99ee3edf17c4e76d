"""core/cnn/dataset.py: the one labelled-folder scanner of training and the built-in head."""

from scenic_heatmap.core.cnn import dataset
from scenic_heatmap.core.cnn.scenic_head import load_folder


def test_class_folders_in_name_order_without_hidden_unsorted_or_other_files(tmp_path):
    for folder, names in {"valid": ["b.JPG", "a.png", "notes.txt"], "non_valid": ["c.jpeg"], ".cache": ["d.jpg"],
                          "to_sort": ["e.jpg"]}.items():  # fmt: skip
        (tmp_path / folder).mkdir()
        for name in names:
            (tmp_path / folder / name).write_bytes(b"x")
    (tmp_path / "stray.jpg").write_bytes(b"x")
    found = dataset.class_images(str(tmp_path))
    assert [(c, p.split("/")[-1]) for c, p in found] == [
        ("non_valid", "c.jpeg"),
        ("valid", "a.png"),
        ("valid", "b.JPG"),
    ]
    assert dataset.class_names(str(tmp_path)) == ["non_valid", "valid"]
    labelled = load_folder(str(tmp_path))
    assert list(labelled.valid) == [0, 1, 1] and labelled.paths == [p for _, p in found]
