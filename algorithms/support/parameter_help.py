"""One line of help for every parameter (QgsProcessingParameterDefinition.setHelp), with its unit, read
from resources/parameter_help.json: by parameter name, and by algorithm where a name means something
else there. Written with the dialog's labels, never a parameter id."""

import json
import os
from functools import lru_cache

TEXTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "resources", "parameter_help.json")


@lru_cache(maxsize=1)
def _texts() -> dict:
    with open(TEXTS, encoding="utf-8") as fh:
        return json.load(fh)


def help_for(algorithm: str, name: str) -> str:
    texts = _texts()
    return texts["by_algorithm"].get(f"{algorithm}:{name}") or texts["by_name"].get(name, "")
