#!/usr/bin/env python3
"""Make tinygen's embedded demo model: a small int8 CNN that classifies 8x8 handwritten digits.

Requirements (scikit-learn is NOT a tinygen dependency: use a separate virtual environment):

    python -m venv /tmp/trainenv
    /tmp/trainenv/bin/pip install -e . scikit-learn      # tinygen (numpy, tflite-micro...) + sklearn

Run from the repository root:

    /tmp/trainenv/bin/python scripts/make_demo_model.py           # writes models/digits_int8.tflite
                                                                  #    and models/digits_test.npz
    /tmp/trainenv/bin/python scripts/make_demo_model.py --check   # + tinygen vs TFLM bit-exactness

What it does, all with numpy (no deep-learning framework, fixed seeds, float64):
  1. loads scikit-learn's bundled 8x8 digits (1797 images, pixel values 0..16; no download) and
     holds out a fixed stratified 20 % test split;
  2. trains a float CNN (Adam, cosine learning rate, random one-pixel shifts as augmentation):
        input 8x8x1 -> CONV_2D 3x3 8ch SAME RELU -> CONV_2D 3x3 stride 2 16ch SAME RELU
        -> RESHAPE 1x256 -> FULLY_CONNECTED 10 -> SOFTMAX
  3. quantizes it after training (int8, the TFLite conventions):
        - input: the pixel range 0..16 mapped onto the whole int8 range (scale 16/255, zp -128);
        - weights: per output channel, symmetric (zero point 0, values in [-127, 127]);
        - biases: int32 with scale input_scale * weight_scale[c];
        - activations: asymmetric int8, ranges calibrated (min/max) on the training images, the
          zero point nudged to an integer so that real 0 is exactly representable;
        - softmax output: scale 1/256, zero point -128;
  4. writes the .tflite with tinygen's own writer (tinygen.writer.write_tflite over IR tensors
     and operators), and the quantized held-out images with their labels (models/digits_test.npz:
     x int8 [N, 8, 8, 1] exactly as the model takes them, y uint8 [N]);
  5. runs the written model in TensorFlow Lite Micro on the test split and prints the float and
     the int8 accuracy; with --check, also compiles it with tinygen and checks that the generated
     C is bit-exact with TFLM.

The run is deterministic: the same inputs give byte-identical files on a given machine (float
rounding in BLAS may differ between CPU types, which could change the trained weights slightly).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent

SEED = 20241
TEST_FRACTION = 0.2
EPOCHS = 60
BATCH = 32
LEARNING_RATE = 3e-3
WEIGHT_DECAY = 1e-4
SHIFT_PROBABILITY = 0.5  # data augmentation: random one-pixel translations

PIXEL_MAX = 16.0
QMIN, QMAX = -128, 127


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def load_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.images.astype(np.float64)[..., None]  # (N, 8, 8, 1), values 0..16
    y = d.target.astype(np.int64)
    return train_test_split(x, y, test_size=TEST_FRACTION, stratify=y, random_state=SEED)


# --------------------------------------------------------------------------------------------
# float model (numpy, NHWC, TFLite's SAME padding)
# --------------------------------------------------------------------------------------------
def same_padding(size: int, k: int, stride: int) -> tuple[int, int, int]:
    """(output size, padding before, padding after) of TFLite SAME padding."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


class Conv:
    """Convolution with TFLite's SAME padding, weights [out, kh, kw, in] like TFLite, by im2col."""

    def __init__(self, rng, cin: int, cout: int, k: int, stride: int) -> None:
        self.k, self.stride = k, stride
        self.w = rng.normal(0.0, math.sqrt(2.0 / (k * k * cin)), size=(cout, k, k, cin))
        self.b = np.zeros(cout)

    def params(self):
        return [self.w, self.b]

    def forward(self, x):
        n, h, w, c = x.shape
        k, s = self.k, self.stride
        oh, pt, pb = same_padding(h, k, s)
        ow, pl, pr = same_padding(w, k, s)
        xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
        cols = np.empty((n, oh, ow, k, k, c))
        for i in range(k):
            for j in range(k):
                cols[:, :, :, i, j, :] = xp[:, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s, :]
        cols = cols.reshape(n * oh * ow, k * k * c)
        cout = self.w.shape[0]
        y = cols @ self.w.reshape(cout, -1).T + self.b
        return y.reshape(n, oh, ow, cout), (x.shape, xp.shape, cols, (oh, ow, pt, pl))

    def backward(self, dy, cache):
        (n, h, w, c), xp_shape, cols, (oh, ow, pt, pl) = cache
        k, s = self.k, self.stride
        cout = self.w.shape[0]
        dy2 = dy.reshape(-1, cout)
        dw = (dy2.T @ cols).reshape(self.w.shape)
        db = dy2.sum(axis=0)
        dcols = (dy2 @ self.w.reshape(cout, -1)).reshape(n, oh, ow, k, k, c)
        dxp = np.zeros(xp_shape)
        for i in range(k):
            for j in range(k):
                dxp[:, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s, :] += dcols[:, :, :, i, j, :]
        return dxp[:, pt:pt + h, pl:pl + w, :], [dw, db]


class Dense:
    def __init__(self, rng, cin: int, cout: int) -> None:
        self.w = rng.normal(0.0, math.sqrt(1.0 / cin), size=(cout, cin))  # [out, in] like TFLite
        self.b = np.zeros(cout)

    def params(self):
        return [self.w, self.b]

    def forward(self, x):
        return x @ self.w.T + self.b, x

    def backward(self, dy, x):
        return dy @ self.w, [dy.T @ x, dy.sum(axis=0)]


class Net:
    """The float network. Its input is the raw pixel value (0..16); the 1/16 normalisation is
    the first thing forward() does, and is folded into conv1's weights on export."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.conv1 = Conv(rng, 1, 8, 3, 1)
        self.conv2 = Conv(rng, 8, 16, 3, 2)
        self.fc = Dense(rng, 4 * 4 * 16, 10)
        self.layers = [self.conv1, self.conv2, self.fc]

    def params(self):
        return [p for layer in self.layers for p in layer.params()]

    def forward(self, x, keep: bool = False):
        x = x / PIXEL_MAX
        z1, c1 = self.conv1.forward(x)
        a1 = np.maximum(z1, 0.0)
        z2, c2 = self.conv2.forward(a1)
        a2 = np.maximum(z2, 0.0)
        flat = a2.reshape(a2.shape[0], -1)
        logits, c3 = self.fc.forward(flat)
        acts = dict(relu1=a1, relu2=a2, logits=logits)
        if keep:
            return logits, acts, (z1, c1, z2, c2, c3)
        return logits, acts

    def grads(self, x, y):
        logits, acts, (z1, c1, z2, c2, c3) = self.forward(x, keep=True)
        p = softmax(logits)
        loss = -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))
        d = p.copy()
        d[np.arange(len(y)), y] -= 1.0
        d /= len(y)
        dflat, g3 = self.fc.backward(d, c3)
        da2 = dflat.reshape(acts["relu2"].shape) * (z2 > 0)
        da1, g2 = self.conv2.backward(da2, c2)
        _, g1 = self.conv1.backward(da1 * (z1 > 0), c1)
        return loss, g1 + g2 + g3


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def shift_augment(x, rng, p: float):
    """Moves each image (with probability p) by up to one pixel in each direction, zero-filled."""
    n = len(x)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    d = rng.integers(0, 3, size=(n, 2))
    rows = d[:, 0, None] + np.arange(8)
    cols = d[:, 1, None] + np.arange(8)
    moved = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return np.where(rng.random((n, 1, 1, 1)) < p, moved, x)


def train(x, y, seed: int, log=print) -> Net:
    net = Net(seed)
    rng = np.random.default_rng(seed + 1)
    params = net.params()
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    steps_per_epoch = -(-len(x) // BATCH)
    total = EPOCHS * steps_per_epoch
    t = 0
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x))
        losses = []
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            loss, grads = net.grads(shift_augment(x[idx], rng, SHIFT_PROBABILITY), y[idx])
            losses.append(loss)
            t += 1
            lr = LEARNING_RATE * 0.5 * (1.0 + math.cos(math.pi * (t - 1) / total))  # cosine decay
            for p, g, mi, vi in zip(params, grads, m, v):
                if p.ndim > 1:
                    g = g + WEIGHT_DECAY * p
                mi *= b1
                mi += (1 - b1) * g
                vi *= b2
                vi += (1 - b2) * g * g
                p -= lr * (mi / (1 - b1 ** t)) / (np.sqrt(vi / (1 - b2 ** t)) + eps)
        if epoch % 10 == 9 or epoch == EPOCHS - 1:
            log(f"  epoch {epoch + 1:3d}  loss {np.mean(losses):.4f}  "
                f"train accuracy {accuracy(net, x, y):.4f}")
    return net


def accuracy(net: Net, x, y) -> float:
    logits, _ = net.forward(x)
    return float(np.mean(np.argmax(logits, axis=1) == y))


# --------------------------------------------------------------------------------------------
# post-training quantization
# --------------------------------------------------------------------------------------------
def round_half_away(a):
    return np.sign(a) * np.floor(np.abs(a) + 0.5)


def activation_quant(lo: float, hi: float) -> tuple[np.float32, int]:
    """Asymmetric int8 over [lo, hi] (widened to contain 0), zero point nudged to an integer so
    that real 0 is exactly representable."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-9:
        hi = lo + 1e-9
    scale = (hi - lo) / (QMAX - QMIN)
    zp = QMIN - lo / scale
    zp = int(min(max(round(zp), QMIN), QMAX))
    return np.float32(scale), zp


def quantize_activation(a, scale: np.float32, zp: int):
    """real -> int8 as TFLite's QUANTIZE does it (float32 division, round half away from zero)."""
    q = round_half_away(np.asarray(a, dtype=np.float32) / np.float32(scale)) + zp
    return np.clip(q, QMIN, QMAX).astype(np.int8)


def weights_per_channel(w):
    """Symmetric per-output-channel (axis 0) int8 weights: (int8 array, float32 scales)."""
    flat = w.reshape(w.shape[0], -1)
    scales = (np.maximum(np.abs(flat).max(axis=1), 1e-12) / 127.0).astype(np.float32)
    q = round_half_away(flat / scales.astype(np.float64)[:, None])
    return np.clip(q, -127, 127).astype(np.int8).reshape(w.shape), scales


def bias_int32(b, input_scale: np.float32, weight_scales):
    scales = (np.float32(input_scale) * weight_scales.astype(np.float32)).astype(np.float32)
    q = round_half_away(b / scales.astype(np.float64))
    if np.any(np.abs(q) > 2**31 - 1):
        raise SystemExit("a bias does not fit in int32")
    return q.astype(np.int32), scales


def build_graph(net: Net, calib_x):
    """Quantize the trained network and return the IR graph (tinygen.ir) of the int8 model."""
    from tinygen.ir import Graph, Op, Quant, Tensor
    from tinygen.ops.conv2d import Conv2DAttrs
    from tinygen.ops.fully_connected import FullyConnectedAttrs
    from tinygen.ops.reshape import ReshapeAttrs
    from tinygen.ops.softmax import SoftmaxAttrs

    _, acts = net.forward(calib_x)

    def per_tensor(scale, zp):
        return Quant(scale=[scale], zero_point=[zp])

    def channel_quant(scales, axis=0):
        return Quant(scale=scales, zero_point=np.zeros(len(scales), dtype=np.int64), axis=axis)

    in_scale, in_zp = activation_quant(0.0, PIXEL_MAX)
    x = Tensor("input", (1, 8, 8, 1), "int8", per_tensor(in_scale, in_zp))

    # conv1 sees raw pixels: fold the 1/16 normalisation into its weights
    w1, s_w1 = weights_per_channel(net.conv1.w / PIXEL_MAX)
    b1, s_b1 = bias_int32(net.conv1.b, in_scale, s_w1)
    q1 = activation_quant(0.0, acts["relu1"].max())
    t_w1 = Tensor("conv1/weights", w1.shape, "int8", channel_quant(s_w1), data=w1)
    t_b1 = Tensor("conv1/bias", b1.shape, "int32", channel_quant(s_b1), data=b1)
    t_a1 = Tensor("conv1/relu", (1, 8, 8, 8), "int8", per_tensor(*q1))

    w2, s_w2 = weights_per_channel(net.conv2.w)
    b2, s_b2 = bias_int32(net.conv2.b, q1[0], s_w2)
    q2 = activation_quant(0.0, acts["relu2"].max())
    t_w2 = Tensor("conv2/weights", w2.shape, "int8", channel_quant(s_w2), data=w2)
    t_b2 = Tensor("conv2/bias", b2.shape, "int32", channel_quant(s_b2), data=b2)
    t_a2 = Tensor("conv2/relu", (1, 4, 4, 16), "int8", per_tensor(*q2))

    t_shape = Tensor("flatten/shape", (2,), "int32", data=np.array([1, 256], dtype=np.int32))
    t_flat = Tensor("flatten", (1, 256), "int8", per_tensor(*q2))

    w3, s_w3 = weights_per_channel(net.fc.w)
    b3, s_b3 = bias_int32(net.fc.b, q2[0], s_w3)
    q3 = activation_quant(acts["logits"].min(), acts["logits"].max())
    t_w3 = Tensor("fc/weights", w3.shape, "int8", channel_quant(s_w3), data=w3)
    t_b3 = Tensor("fc/bias", b3.shape, "int32", channel_quant(s_b3), data=b3)
    t_logits = Tensor("fc/logits", (1, 10), "int8", per_tensor(*q3))

    t_prob = Tensor("probabilities", (1, 10), "int8", per_tensor(np.float32(1.0 / 256.0), -128))

    ops = [
        Op("CONV_2D", [x, t_w1, t_b1], [t_a1], Conv2DAttrs(padding="SAME", stride=(1, 1), activation="RELU")),
        Op("CONV_2D", [t_a1, t_w2, t_b2], [t_a2], Conv2DAttrs(padding="SAME", stride=(2, 2), activation="RELU")),
        Op("RESHAPE", [t_a2, t_shape], [t_flat], ReshapeAttrs(new_shape=(1, 256))),
        Op("FULLY_CONNECTED", [t_flat, t_w3, t_b3], [t_logits], FullyConnectedAttrs()),
        Op("SOFTMAX", [t_logits], [t_prob], SoftmaxAttrs(beta=1.0)),
    ]
    quants = dict(input=(in_scale, in_zp), relu1=q1, relu2=q2, logits=q3)
    return Graph(name="digits_int8", ops=ops, inputs=[x], outputs=[t_prob]), quants


def tflm_predict(model: bytes, xq) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(model, arena_size=64 * 1024)
    preds = np.empty(len(xq), dtype=np.int64)
    for i, img in enumerate(xq):
        interp.set_input(img[None], 0)
        interp.invoke()
        preds[i] = int(np.argmax(np.asarray(interp.get_output(0)).reshape(-1)))
    return preds


# --------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=REPO / "models",
                    help="where to write digits_int8.tflite and digits_test.npz (default: models/)")
    ap.add_argument("--check", action="store_true",
                    help="also compile the model with tinygen and check it bit-exact against TFLM")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(REPO))  # run from a checkout even if tinygen is not installed
    from tinygen.writer import write_tflite

    x_train, x_test, y_train, y_test = load_split()
    print(f"digits: {len(x_train)} training images, {len(x_test)} test images (seed {SEED})")
    net = train(x_train, y_train, SEED)
    float_acc = accuracy(net, x_test, y_test)

    graph, quants = build_graph(net, x_train)
    model = write_tflite(graph, description="tinygen demo: 8x8 digits classifier (scripts/make_demo_model.py)")
    xq_test = quantize_activation(x_test, *quants["input"])

    preds = tflm_predict(model, xq_test)
    int8_acc = float(np.mean(preds == y_test))

    args.out_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.out_dir / "digits_int8.tflite"
    test_path = args.out_dir / "digits_test.npz"
    model_path.write_bytes(model)
    np.savez_compressed(test_path, x=xq_test, y=y_test.astype(np.uint8))

    for name, (s, z) in quants.items():
        print(f"  {name:7s} scale {float(s):.6g} zero point {z}")
    print(f"wrote {model_path} ({len(model)} bytes, sha256 {hashlib.sha256(model).hexdigest()[:16]})")
    print(f"wrote {test_path} ({len(xq_test)} images)")
    print(f"float accuracy on the test split: {float_acc:.4f}")
    print(f"int8 accuracy on the test split (TFLite Micro): {int8_acc:.4f}")
    ok = int8_acc > 0.9

    if args.check:
        from tinygen.check import check_model

        rep = check_model(model_path, n_random=20, extra_inputs=[[img[None]] for img in xq_test])
        print(f"tinygen vs TFLM: {rep.inputs_checked} inputs, bit-exact: {rep.bit_exact}")
        if not rep.bit_exact:
            print(f"  mismatches: {rep.mismatches[:5]}  first diverging op: {rep.first_diverging_op}")
        ok = ok and rep.bit_exact

    if not ok:
        print("FAILED: int8 accuracy <= 0.9 or not bit-exact", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
