"""The classifier in a process of its own (see core/child.py for why).

Request: {"paths": [...], "batch_size": 32, "model": "" or a trainclassifier file,
"face_gate": the default classifier's lowest score for a face check, "face_check": false}.
Answers: {"ready": true, "classes": [...]}, then one JSON line per photo."""

import json
import sys


def main():
    request = json.loads(sys.stdin.readline())
    from .classifier import DefaultClassifier, TrainedClassifier
    from .decision import LABEL_CUT

    batch_size = int(request.get("batch_size", 32))
    if request.get("model"):
        classifier = TrainedClassifier(request["model"], batch_size=batch_size)
    else:
        classifier = DefaultClassifier(
            face_check=bool(request.get("face_check", False)),
            batch_size=batch_size,
            face_gate=float(request.get("face_gate", LABEL_CUT)),
        )
    print(json.dumps({"ready": True, "classes": list(classifier.classes)}), flush=True)
    for prediction in classifier.classify(request["paths"]):
        print(
            json.dumps(
                {
                    "label": prediction.label,
                    "category": prediction.category,
                    "scores": prediction.scores,
                    "faces": prediction.faces,
                    "error": prediction.error,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
