"""Labelled photo folders: one sub-folder per class, as trainclassifier reads them and as
classifyphotos' LABEL_FOLDER writes them. The one scanner and image-extension list of training and
of the built-in head's fitting. QGIS-free."""

import os
from typing import List, Tuple

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
UNSORTED = "to_sort"  # classifyphotos' LABEL_FOLDER: photos not yet sorted into a class


def class_images(folder: str) -> List[Tuple[str, str]]:
    """(class, image path) for every image of every class sub-folder, both in name order. Hidden
    folders and the unsorted photos are not classes."""
    found = []
    for name in sorted(os.listdir(folder)):
        directory = os.path.join(folder, name)
        if name.startswith(".") or name == UNSORTED or not os.path.isdir(directory):
            continue
        for photo in sorted(os.listdir(directory)):
            if photo.lower().endswith(IMAGE_EXTENSIONS):
                found.append((name, os.path.join(directory, photo)))
    return found


def class_names(folder: str) -> List[str]:
    """The class sub-folders, with or without images."""
    return sorted(
        d
        for d in os.listdir(folder)
        if os.path.isdir(os.path.join(folder, d)) and not d.startswith(".") and d != UNSORTED
    )
