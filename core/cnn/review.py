"""Checking what the classifier did: a contact sheet, and a folder of doubtful photos to label. QGIS-free."""

import html
import os
import re
import shutil
from dataclasses import dataclass
from typing import List, Optional, Sequence

from ..files import write_text_atomically
from ..photos.thumbnails import thumbnail_data

STUDY_CLASSES = ("event", "food", "indoor", "meme", "photo-shoot", "random", "selfie", "stuff", "valid")
TO_SORT = "to_sort"  # trainclassifier ignores this folder


@dataclass
class Reviewed:
    path: str
    score: Optional[float]
    category: str
    kept: bool
    error: str = ""


def by_doubt(items: Sequence[Reviewed], threshold: float) -> List[Reviewed]:
    """Scored photos, the ones whose score lies nearest the threshold first."""
    scored = [item for item in items if item.score is not None and not item.error]
    return sorted(scored, key=lambda item: (abs(item.score - threshold), item.path))


def write_contact_sheet(
    path: str,
    items: Sequence[Reviewed],
    threshold: float,
    title: str = "Classified photos",
    limit: int = 200,
    progress=lambda fraction: None,
):
    """One self-contained HTML page: kept and dropped photos, the most doubtful first (`limit` of each),
    each with its thumbnail, score and category. Every string from the data is escaped."""
    e = html.escape
    sections = []
    for kept, heading in ((True, "Kept"), (False, "Dropped")):
        chosen = [item for item in by_doubt(items, threshold) if item.kept == kept][:limit]
        cards = []
        for n, item in enumerate(chosen):
            progress((len(sections) + n / max(len(chosen), 1)) / 2)
            data = thumbnail_data(item.path)
            image = f"<img src='{data}' alt='{e(os.path.basename(item.path))}'>" if data else "<div class='gap'></div>"
            cards.append(
                f"<figure>{image}<figcaption><b>{item.score:.2f}</b> {e(item.category)}<br>"
                f"<span>{e(os.path.basename(item.path))}</span></figcaption></figure>"
            )
        total = sum(1 for item in items if item.kept == kept and not item.error)
        sections.append(
            f"<h2>{heading}: {total} photos (the {len(chosen)} nearest the threshold first)</h2>"
            f"<div class='grid'>{''.join(cards)}</div>"
        )
    failed = [item for item in items if item.error]
    errors = "".join(f"<li>{e(item.path)}: {e(item.error)}</li>" for item in failed)
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>body{{font-family:sans-serif}}.grid{{display:flex;flex-wrap:wrap}}"
        "figure{width:170px;margin:4px}figure img,.gap{width:160px;height:120px;object-fit:cover;background:#eee}"
        "figcaption{font-size:12px}figcaption span{color:#666;word-break:break-all}</style></head><body>"
        f"<h1>{e(title)}</h1><p>Threshold {threshold:.2f}: a photo is kept when its score is at least this. "
        "Scores near the threshold are the ones to check.</p>"
        + "".join(sections)
        + (f"<h2>Unreadable ({len(failed)})</h2><ul>{errors}</ul>" if failed else "")
        + "</body></html>"
    )
    write_text_atomically(path, page)


def _safe_name(path: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(path)).strip("._") or "photo"
    return name[:120]


def write_label_folder(
    folder: str,
    items: Sequence[Reviewed],
    threshold: float,
    count: int = 50,
    classes: Sequence[str] = STUDY_CLASSES,
    link: bool = True,
) -> List[str]:
    """folder/to_sort/ with the `count` most doubtful photos (linked, or copied where links fail), next to
    one empty folder per class. Sort them into the class folders, then train with trainclassifier.
    Returns the files written into to_sort/."""
    os.makedirs(os.path.join(folder, TO_SORT), exist_ok=True)
    for name in classes:
        os.makedirs(os.path.join(folder, name), exist_ok=True)
    written = []
    for n, item in enumerate(by_doubt(items, threshold)[:count], start=1):
        target = os.path.join(folder, TO_SORT, f"{n:04d}_{item.score:.2f}_{_safe_name(item.path)}")
        if os.path.lexists(target):
            os.remove(target)
        try:
            if not link:
                raise OSError
            os.symlink(os.path.abspath(item.path), target)
        except OSError:
            shutil.copy2(item.path, target)
        written.append(target)
    with open(os.path.join(folder, "README.txt"), "w", encoding="utf-8") as fh:
        fh.write(
            "Photos the classifier was least sure about are in to_sort/, most doubtful first; the number\n"
            "after the rank is the score. Move each into the folder of its class, then run\n"
            "Train photo classifier on this folder (to_sort/ itself is ignored).\n"
        )
    return written
