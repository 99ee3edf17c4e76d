"""The built-in classifier's head: p(valid) from the backbone's pooled features and the ImageNet
mapping score, and its files. QGIS-free; fitted by scenic_head.py, used by classifier.py."""

import json
import os
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np

from .backbone import BACKBONES
from .calibration import Platt, logit
from .decision import LABEL_CUT


@dataclass
class Head:
    """p(valid) = platt(features . w + c * logit(mapping score) + b). Saved as weights in an .npz (no
    pickles) and calibration, threshold and provenance in the .json beside it."""

    weights: np.ndarray  # [1280], for raw (unstandardised) features
    mapping_weight: float
    bias: float
    platt: Optional[Platt] = None
    meta: Dict = field(default_factory=dict)

    def raw(self, features, mapping_score):
        return np.asarray(features, np.float64) @ self.weights + self.mapping_weight * logit(mapping_score) + self.bias

    def probability(self, features, mapping_score) -> np.ndarray:
        return self.platt(self.raw(features, mapping_score))

    @property
    def threshold(self) -> float:
        return float(self.meta.get("threshold", LABEL_CUT))

    def save(self, npz_path: str):
        base = os.path.splitext(npz_path)[0]
        weights = self.weights.astype(np.float32)
        np.savez(
            base + ".npz", weights=weights, mapping_weight=np.float64(self.mapping_weight), bias=np.float64(self.bias)
        )
        document = dict(self.meta, calibration=self.platt.to_dict())
        with open(base + ".json", "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=1, sort_keys=True)
            fh.write("\n")

    @classmethod
    def load(cls, path: str) -> "Head":
        base = os.path.splitext(path)[0]
        try:
            with np.load(base + ".npz", allow_pickle=False) as stored:
                weights = stored["weights"].astype(np.float32)
                mapping_weight, bias = float(stored["mapping_weight"]), float(stored["bias"])
            with open(base + ".json", encoding="utf-8") as fh:
                meta = json.load(fh)
            platt = Platt(float(meta["calibration"]["a"]), float(meta["calibration"]["b"]))
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise ValueError(
                f"The built-in classifier's weights {base}.npz/.json are missing or damaged ({exc}); "
                "reinstall the plugin or rebuild them with scripts/make_default_model.py."
            ) from None
        if weights.shape != (BACKBONES["efficientnet-lite0"].dims,):
            raise ValueError(f"{base}.npz does not fit the EfficientNet-Lite0 features")
        return cls(weights, mapping_weight, bias, platt, meta)
