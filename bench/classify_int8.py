"""Would an int8 backbone do? Quality of a head trained on its own features, and its speed, against float.

    python bench/classify_int8.py ~/photo_devset

The float EfficientNet-Lite0 features model and an int8 one (TFLite static quantization, calibrated
on 96 of the labelled photos, float input and output) extract features of the same labelled photos
(../shared/photo_devset plus the camera photos of bench/labels/). For each, the built-in head is
measured 5-fold out-of-fold as scripts/make_default_model.py fits it, and the network's CPU time per
photo is measured on one batch of 32, both in the same run.
"""

import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))
from standalone import link_plugin  # noqa: E402

link_plugin()
from scenic_heatmap.core.cnn import backbone  # noqa: E402
from scenic_heatmap.core.cnn import calibration as cal  # noqa: E402
from scenic_heatmap.core.cnn import scenic_head as sh  # noqa: E402
from scenic_heatmap.core.cnn.classifier import FeatureExtractor, ImageNetMapping  # noqa: E402

SHARED = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared")


def main():
    import tensorflow as tf

    labelled = sh.load_folder(sys.argv[1], part="photo_devset") + sh.load_csv(
        os.path.join(HERE, "labels", "camera_photos.csv"), os.path.join(SHARED, "data", "exif"), part="camera"
    )
    extractor = FeatureExtractor()
    decoded = [extractor._decode_one(p)[0] for p in labelled.paths]
    model = backbone.load_backbone(include_top=False)
    batch = 32
    function = tf.function(lambda x: model(x, training=False))
    concrete = function.get_concrete_function(tf.TensorSpec((batch, 224, 224, 3), tf.float32))
    rng = np.random.default_rng(0)
    calibration_rows = rng.choice(len(decoded), 96, replace=False)

    def representative():
        for start in range(0, 96, batch):
            yield [np.stack([decoded[i] for i in calibration_rows[start : start + batch]])]

    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    int8 = converter.convert()
    float_model = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model).convert()
    mapping = ImageNetMapping()
    results = {}
    for name, content in (("float", float_model), ("int8", int8)):
        interpreter = tf.lite.Interpreter(model_content=content, num_threads=os.cpu_count())
        interpreter.allocate_tensors()
        source, target = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

        def run(x, interpreter=interpreter, source=source, target=target):
            interpreter.set_tensor(source, x)
            interpreter.invoke()
            return interpreter.get_tensor(target).copy()

        features = np.zeros((len(decoded), 1280), np.float32)
        for start in range(0, len(decoded), batch):
            rows = decoded[start : start + batch]
            x = np.zeros((batch, 224, 224, 3), np.float32)
            x[: len(rows)] = np.stack(rows)
            features[start : start + len(rows)] = run(x)[: len(rows)]
        x = np.stack(decoded[:batch])
        run(x)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(6):
            run(x)
        cpu_ms = 1000 * (time.process_time() - cpu) / (6 * batch)
        rate = 6 * batch / (time.perf_counter() - wall)
        score = mapping.scores(features)[0]
        strata = [f"{a}:{b}" for a, b in zip(labelled.parts, labelled.classes)]
        oof = sh.out_of_fold(features, score, labelled.valid, strata)
        p, y = oof.probability, labelled.valid
        results[name] = features
        print(
            f"{name}: network {cpu_ms:.2f} ms CPU per photo ({rate:.0f} images/s on {os.cpu_count()} threads); "
            f"out-of-fold balanced accuracy {cal.balanced_accuracy(p, y, 0.37):.3f} at 0.37, "
            f"{cal.balanced_accuracy(p, y, cal.best_threshold(p, y)):.3f} at best, "
            f"ECE {cal.expected_calibration_error(p, y):.3f}, valid recall {(p[y == 1] >= 0.37).mean():.3f}",
            flush=True,
        )
    drift = np.abs(results["int8"] - results["float"]).mean() / np.abs(results["float"]).mean()
    print(f"int8 features differ from float ones by {100 * drift:.1f} % (mean absolute, relative)")


if __name__ == "__main__":
    main()
