"""The one decision rule of classification and training. QGIS-free.

A photo is valid when its score for the valid class reaches the threshold. Left unset, the threshold
is the classifier's recommended one (the best balanced accuracy on its validation photos) when that
was made for the same class, else LABEL_CUT. A face can only veto, so the face check runs on every
photo whose score could make it valid: from the lower of the threshold and LABEL_CUT."""

from dataclasses import dataclass
from typing import Optional

import numpy as np

LABEL_CUT = 0.5  # the built-in classifier labels a photo valid from this score on


@dataclass(frozen=True)
class Decision:
    valid_class: str
    threshold: float

    def is_valid(self, score: Optional[float]) -> bool:
        return score is not None and score >= self.threshold

    def valid(self, scores) -> np.ndarray:
        return np.asarray(scores, dtype=float) >= self.threshold

    @property
    def face_gate(self) -> float:
        return min(LABEL_CUT, self.threshold)


def decide(valid_class: str, given: Optional[float], recommended: Optional[float], recommended_class: str, who: str):
    """(Decision, a sentence for the log): the given threshold, else the recommendation."""
    if given is not None:
        return Decision(valid_class, float(given)), f"Threshold {given:.2f} (set by the user)."
    if recommended is None or valid_class != recommended_class:
        return Decision(
            valid_class, LABEL_CUT
        ), f"The classifier recommends no threshold for {valid_class!r}; using 0.5."
    note = (
        f"Threshold {recommended:.2f}: {who} recommended one (THRESHOLD was left empty; set it to override, "
        "e.g. 0.9 as in the study)."
    )
    return Decision(valid_class, float(recommended)), note
