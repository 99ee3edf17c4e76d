"""The resume journal of a harvest: append-only JSON lines in a state folder inside the image folder.
QGIS-free. Shared by the Flickr and Wikimedia Commons harvests.

A harvest is resumed only with the parameters it started with (their fingerprint is kept beside the
journal). A kill can tear the last line; it is skipped on reading and never glued to the next one."""

import json
import os
import threading

from ..errors import UserError


class Journal:
    def __init__(self, state_dir: str, fingerprint: str, mismatch: UserError):
        """mismatch: raised when state_dir holds a harvest with another fingerprint."""
        os.makedirs(state_dir, exist_ok=True)
        params = os.path.join(state_dir, "params.json")
        if os.path.exists(params):
            with open(params, encoding="utf-8") as fh:
                if json.load(fh).get("fingerprint") != fingerprint:
                    raise mismatch
        else:
            with open(params, "w", encoding="utf-8") as fh:
                json.dump({"fingerprint": fingerprint}, fh)
        self.path = os.path.join(state_dir, "journal.jsonl")
        self.entries = []
        torn = False
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        self.entries.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue  # the torn tail of a killed run
            if os.path.getsize(self.path):
                with open(self.path, "rb") as fh:
                    fh.seek(-1, os.SEEK_END)
                    torn = fh.read(1) != b"\n"
        self._lock = threading.Lock()
        self._fh = open(self.path, "a", encoding="utf-8")
        if torn:
            self._fh.write("\n")

    def add(self, **entry):
        line = json.dumps(entry, sort_keys=True)
        with self._lock:  # the Flickr harvest writes from its download threads
            self._fh.write(line + "\n")
            self._fh.flush()

    def close(self):
        self._fh.close()
