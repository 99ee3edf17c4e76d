"""Small file helpers shared by the core modules. QGIS-free."""

import os
import stat


def write_text_atomically(path: str, text: str):
    """Writes `path` through a `.part` file and a rename, so a reader never sees half a page; a failed
    write leaves no `.part` behind."""
    tmp = f"{path}.part"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def not_regular_reason(path: str) -> str:
    """Why `path` is no regular file ("" when it is one): opening a FIFO named *.jpg would hang,
    a device could be read forever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return ""  # the caller reports a missing file in its own words
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return ""
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISDIR, "a folder"),
    )
    kind = next((name for test, name in kinds if test(mode)), "something else")
    return f"not a regular file ({kind}): skipped"
