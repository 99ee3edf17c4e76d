"""The scenic classifier: the EfficientNet-Lite0 backbone, the built-in head and its calibration, training,
the contact sheet, and the worker processes that keep TensorFlow out of QGIS."""
