"""The classifier in a process of its own: TensorFlow must not load inside QGIS.

TensorFlow carries its own protobuf and SQLite; inside qgis_process (and QGIS
desktop), whose executables link the system libprotobuf, its descriptors clash
and the process aborts. So the Processing algorithm starts this module with a
plain Python: one JSON request on stdin, one JSON line per photo on stdout.
"""

import json
import sys


def main():
    request = json.loads(sys.stdin.readline())
    from .classifier import DefaultClassifier

    classifier = DefaultClassifier(batch_size=int(request.get("batch_size", 32)))
    print(json.dumps({"ready": True, "classes": list(classifier.classes)}), flush=True)
    for prediction in classifier.classify(request["paths"]):
        print(json.dumps({"label": prediction.label, "category": prediction.category, "scores": prediction.scores,
                          "faces": prediction.faces, "error": prediction.error}), flush=True)


if __name__ == "__main__":
    main()
