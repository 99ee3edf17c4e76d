"""core.backbone without QGIS: the offline EfficientNet-Lite0 is the real pretrained network."""

import io
import os
import pickle

import numpy as np
import pytest
from PIL import Image

from scenic_heatmap.core.cnn import backbone

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "..", "data", "efficientnet_lite0_coffee_logits.npy")


@pytest.fixture(scope="module")
def coffee():
    skimage_data = pytest.importorskip("skimage.data")
    return Image.fromarray(skimage_data.coffee())


def test_weights_read_without_torch():
    weights = backbone.load_legacy_state_dict(backbone.default_weights_path())
    assert len(weights) == 296
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert weights["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert weights["_fc.weight"].shape == (1000, 1280) and weights["_fc.weight"].dtype == np.float32
    assert weights["_bn0.num_batches_tracked"].dtype == np.int64


def test_coffee_is_espresso_and_matches_the_pytorch_reference(coffee):
    model = backbone.load_backbone()
    logits = model.predict(backbone.preprocess(coffee)[None], verbose=0)[0]
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    assert logits.argmax() == backbone.ESPRESSO and probabilities[backbone.ESPRESSO] > 0.8
    # logits of the original network in PyTorch (scripts/make_backbone_reference.py)
    np.testing.assert_allclose(logits, np.load(REFERENCE), atol=1e-3)


def test_backbone_is_built_once_per_process():
    assert backbone.load_backbone() is backbone.load_backbone()
    features = backbone.load_backbone(include_top=False)
    assert features.output_shape == (None, 1280)


def test_preprocess_crops_the_centre_and_scales():
    image = Image.new("RGB", (512, 256), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 100, 256))  # a black band on the left, outside the centre crop
    x = backbone.preprocess(image)
    assert x.shape == (224, 224, 3) and x.dtype == np.float32
    assert x.max() == pytest.approx(1.0) and x.min() == pytest.approx(1.0)


def malicious_pth(path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(path) + ".pwned",))

    buffer = io.BytesIO()
    for part in (backbone.LEGACY_MAGIC, 1001, {"little_endian": True}, {"x": Boom()}, []):
        pickle.dump(part, buffer, protocol=2)
    path.write_bytes(buffer.getvalue())


def test_a_weights_file_cannot_run_code(tmp_path):
    path = tmp_path / "evil.pth"
    malicious_pth(path)
    with pytest.raises(backbone.BackboneError, match="refusing"):
        backbone.load_legacy_state_dict(str(path))
    assert not (tmp_path / "evil.pth.pwned").exists()


def test_a_non_torch_file_is_refused(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_bytes(pickle.dumps("hello", protocol=2))
    with pytest.raises(backbone.BackboneError):
        backbone.load_legacy_state_dict(str(path))


def test_inception_preprocessing_keeps_the_whole_frame():
    image = Image.new("RGB", (600, 300), (255, 0, 0))
    x = backbone.preprocess_inception(image)
    assert x.shape == (299, 299, 3) and x[..., 0].min() == pytest.approx(1.0) and x[..., 1].max() == -1.0
    assert (
        backbone.BACKBONES["inceptionv3"].dims == 2048
        and backbone.preprocess_for("inceptionv3") is backbone.preprocess_inception
    )
