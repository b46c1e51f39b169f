"""Small int8 models of the data-movement and spatial operators, made by the real TensorFlow Lite
converter (models/converted/, tested in tests/host/test_spatial.py and on the emulated M4).

TensorFlow is not a dependency of tinygen: run this with an environment of its own, e.g.

    python3 -m venv /work/tfenv && /work/tfenv/bin/pip install tensorflow-cpu
    /work/tfenv/bin/python scripts/make_converted_ops_models.py models/converted

Random weights (Keras' initializers, seeded) and full-integer post-training quantization with a
representative data set of 30 random inputs; int8 inputs and outputs. What the converter makes of
each Keras layer is its choice (e.g. Keras 3's UpSampling2D "nearest" becomes EXPAND_DIMS + TILE
+ RESHAPE, which TFLite Micro cannot run, so the decoder uses Resizing instead).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

L = tf.keras.layers


def convert(model, shapes, path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(30):
            yield [rng.normal(0, 1, size=s).astype(np.float32) for s in shapes]

    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = representative
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    c.inference_input_type = tf.int8
    c.inference_output_type = tf.int8
    data = c.convert()
    path.write_bytes(data)
    print(f"{path}: {len(data)} bytes")


def decoder() -> tf.keras.Model:
    """U-Net-style upsampling: transposed convolutions (SAME and VALID), bilinear and nearest
    resizing (half-pixel centers), concatenation."""
    x = L.Input((16, 16, 3), batch_size=1)
    a = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    b = L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(a)
    c = L.Resizing(16, 16, interpolation="nearest")(a)
    d = L.UpSampling2D(2, interpolation="bilinear")(a)
    e = L.Resizing(12, 20, interpolation="bilinear")(b)
    f = L.Conv2DTranspose(4, 2, strides=2, padding="valid")(a)
    return tf.keras.Model(x, [L.Concatenate()([b, c, d, f]), e])


def slicing() -> tf.keras.Model:
    """Strided and reversed slices, splits, stack, space/depth, mirror padding, gather, reverse."""
    x = L.Input((8, 12, 8), batch_size=1)
    fn = L.Lambda
    outs = [
        fn(lambda t: t[:, 1:7, ::2, :])(x),
        fn(lambda t: t[:, ::-1, 3:9, 2:6])(x),
        *fn(lambda t: tf.split(t, 2, axis=-1))(x),
        *fn(lambda t: tf.split(t, [2, 6], axis=-1))(x),
        fn(lambda t: tf.stack([t[..., 0], t[..., 1]], axis=1))(x),
        fn(lambda t: tf.nn.space_to_depth(t, 2))(x),
        fn(lambda t: tf.nn.depth_to_space(t, 2))(x),
        fn(lambda t: tf.pad(t, [[0, 0], [2, 2], [1, 3], [0, 0]], mode="REFLECT"))(x),
        fn(lambda t: tf.pad(t, [[0, 0], [1, 0], [0, 2], [0, 0]], mode="SYMMETRIC"))(x),
        fn(lambda t: tf.gather(t, [3, 0, 7, 7], axis=-1))(x),
        fn(lambda t: tf.reverse(t, [1, 2]))(x),
        fn(lambda t: tf.slice(t, [0, 2, 3, 1], [1, 4, 5, 6]))(x),
    ]
    return tf.keras.Model(x, outs)


def misc() -> tf.keras.Model:
    """A convolution dilated by hand through SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND, unstack,
    gather_nd, broadcast_to."""
    x = L.Input((10, 10, 4), batch_size=1)
    fn = L.Lambda
    sb = fn(lambda t: tf.space_to_batch_nd(t, [2, 2], [[0, 0], [0, 0]]))(x)
    cv = L.Conv2D(4, 3, padding="same")(sb)
    bs = fn(lambda t: tf.compat.v1.batch_to_space_nd(t, [2, 2], [[0, 0], [0, 0]]))(cv)
    us = fn(lambda t: tf.unstack(t, axis=3))(x)
    gn = fn(lambda t: tf.gather_nd(t, [[0, 1, 2], [0, 9, 9]]))(x)
    bt = fn(lambda t: tf.broadcast_to(t[:, :1, :, :], [1, 3, 10, 4]))(x)
    return tf.keras.Model(x, [bs, us[0], us[3], gn, bt])


def main(out: str) -> None:
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    tf.keras.utils.set_random_seed(10)
    convert(decoder(), [(1, 16, 16, 3)], d / "decoder_int8.tflite", seed=1)
    convert(slicing(), [(1, 8, 12, 8)], d / "slicing_int8.tflite", seed=2)
    convert(misc(), [(1, 10, 10, 4)], d / "misc_int8.tflite", seed=3)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/converted")
