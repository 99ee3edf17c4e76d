"""core/cnn/decision.py: the one rule of classification and training."""

import numpy as np

from scenic_heatmap.core.cnn.decision import LABEL_CUT, Decision, decide


def test_given_threshold_wins_and_the_face_gate_covers_every_photo_that_could_be_valid():
    rule, note = decide("valid", 0.9, 0.37, "valid", "the built-in classifier's")
    assert rule.threshold == 0.9 and "set by the user" in note
    assert rule.face_gate == LABEL_CUT  # faces are checked from 0.5, below the 0.9 threshold too
    assert decide("valid", 0.2, None, "", "")[0].face_gate == 0.2
    assert [rule.is_valid(s) for s in (None, 0.89, 0.9)] == [False, False, True]
    assert list(rule.valid(np.array([0.1, 0.95]))) == [False, True]


def test_recommendation_only_for_its_own_class():
    rule, note = decide("valid", None, 0.37, "valid", "the built-in classifier's")
    assert rule == Decision("valid", 0.37) and "recommended" in note
    rule, note = decide("scenic", None, 0.37, "valid", "the trained model's")
    assert rule.threshold == LABEL_CUT and "no threshold" in note
