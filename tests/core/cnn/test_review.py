"""core.review: the contact sheet and the label folder, with hostile names."""

import os

from PIL import Image

from scenic_heatmap.core.cnn import review

HOSTILE = "<img src=x onerror=alert('x')>&\".jpg"  # no slash: it must be a file name


def photos(tmp_path):
    items = []
    for i, (name, score) in enumerate(((HOSTILE, 0.36), ("b.jpg", 0.95), ("c.jpg", 0.02), ("d.jpg", 0.5))):
        path = tmp_path / name
        Image.new("RGB", (64, 48), (40 * i, 100, 200)).save(path, "JPEG")
        items.append(review.Reviewed(str(path), score, "street <b>", score >= 0.37))
    items.append(review.Reviewed(str(tmp_path / "gone.jpg"), None, "", False, "file not found <x>"))
    return items


def test_contact_sheet_escapes_and_orders_by_doubt(tmp_path):
    sheet = tmp_path / "review.html"
    review.write_contact_sheet(str(sheet), photos(tmp_path), 0.37, title="Run <1>")
    text = sheet.read_text()
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(&#x27;x&#x27;)&gt;&amp;&quot;" in text
    assert "street &lt;b&gt;" in text
    assert "Run &lt;1&gt;" in text and "file not found &lt;x&gt;" in text
    assert text.count("data:image/jpeg;base64,") == 4
    dropped = text[text.index("Dropped") :]
    assert dropped.index("0.36") < dropped.index("0.02")  # nearest the threshold first


def test_label_folder_tree(tmp_path):
    out = tmp_path / "to_label"
    written = review.write_label_folder(str(out), photos(tmp_path), 0.37, count=3)
    assert sorted(os.listdir(out)) == sorted(list(review.STUDY_CLASSES) + ["README.txt", "to_sort"])
    assert all(not os.listdir(out / c) for c in review.STUDY_CLASSES)
    names = sorted(os.listdir(out / "to_sort"))
    assert len(names) == len(written) == 3 and names[0].startswith("0001_0.36_img_src_x_onerror")
    assert all("/" not in n and "<" not in n for n in names)
    assert Image.open(out / "to_sort" / names[0]).size == (64, 48)
