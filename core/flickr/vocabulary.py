"""Flickr's own numbering, shared by the harvest and the YFCC100M import (whose rows are Flickr's)."""

DATE_FIELDS = ("upload", "taken")  # the DATE_FIELD choices, in this order
# Flickr's licence ids (flickr.photos.licenses.getInfo) and their names
LICENSES = {
    0: "All rights reserved",
    1: "CC BY-NC-SA 2.0",
    2: "CC BY-NC 2.0",
    3: "CC BY-NC-ND 2.0",
    4: "CC BY 2.0",
    5: "CC BY-SA 2.0",
    6: "CC BY-ND 2.0",
    7: "No known copyright restrictions",
    8: "United States Government Work",
    9: "CC0 1.0",
    10: "Public Domain Mark 1.0",
}


def license_choices(ids) -> tuple:
    """'<id> <name>' for each id, the labels of a licence parameter."""
    return tuple(f"{i} {LICENSES[i]}" for i in ids)
