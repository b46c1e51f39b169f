"""Build the model zoo (models/zoo/*.tflite) with the real TensorFlow Lite converter and, when it
is installed, the PyTorch exporter litert-torch: small int8 models of the kinds users bring, for
tinygen's tests and the results table (benchmarks/zoo.py).

TensorFlow and PyTorch are never tinygen dependencies: run this script in their own virtual
environments (the script imports only numpy and the framework of the part it builds):

    python3 -m venv /work/tfenv && /work/tfenv/bin/pip install tensorflow-cpu
    /work/tfenv/bin/python scripts/make_zoo.py keras            # every Keras model
    python3 -m venv /work/torchenv && /work/torchenv/bin/pip install torch litert-torch
    /work/torchenv/bin/python scripts/make_zoo.py pytorch       # the PyTorch-exported CNN

Weights are random (seeded) or, where the spread of activations matters, shaped by a few steps of
training on synthetic data; quantization is full-integer post-training quantization with a
representative dataset of random inputs (seeded). Each run rewrites models/zoo/manifest.json
(per model: file, builder, converter and versions, input/output types, bytes, sha256); the
README beside the models is written from it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "models" / "zoo"
SEED = 1234
#: what a recorded failure means, for the README (found on this machine, TensorFlow 2.21)
KNOWN_FAILURES = {
    "lstm_kws": "int8 calibration of the fused UNIDIRECTIONAL_SEQUENCE_LSTM crashes the TensorFlow Lite converter "
                "(segmentation fault in its calibrator, with int8 or float I/O); with a dynamic batch the converter "
                "refuses the model instead (tensor-list ops need SELECT_TF_OPS). The zoo has the unrolled LSTM "
                "(lstm_kws_unrolled) in its place.",
}
REP_SAMPLES = 32


# -- Keras models (TensorFlow Lite converter) ------------------------------------------------------
def keras_models():
    """name -> (builder() -> keras.Model, float I/O?, description). Imported lazily."""
    import keras
    from keras import layers as L

    def I(shape):  # noqa: E743
        """Batch 1 fixed, as deployed on a microcontroller (a dynamic batch makes the converter
        compute reshape targets at run time with SHAPE / STRIDED_SLICE / PACK)."""
        return keras.Input(shape, batch_size=1)

    def mobilenet_v1():
        return keras.applications.MobileNet(input_tensor=I((96, 96, 3)), alpha=0.25, weights=None, classes=10)

    def mobilenet_v2():
        return keras.applications.MobileNetV2(input_tensor=I((96, 96, 3)), alpha=0.35, weights=None, classes=10)

    def mobilenet_v3_small():
        # the backbone with a small head (the stock head's 1024-wide 1x1 layer alone is 600 K weights)
        base = keras.applications.MobileNetV3Small(input_tensor=I((96, 96, 3)), alpha=0.5, weights=None, include_top=False,
                                                   include_preprocessing=False, pooling="avg")
        return keras.Model(base.input, L.Softmax()(L.Dense(10)(base.output)), name="mobilenet_v3_small")

    def unet():
        x = inp = I((64, 64, 3))
        c1 = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        p1 = L.MaxPooling2D()(c1)
        c2 = L.Conv2D(16, 3, padding="same", activation="relu")(p1)
        p2 = L.MaxPooling2D()(c2)
        c3 = L.Conv2D(32, 3, padding="same", activation="relu")(p2)
        u2 = L.Conv2DTranspose(16, 2, strides=2, padding="same")(c3)            # TRANSPOSE_CONV
        d2 = L.Conv2D(16, 3, padding="same", activation="relu")(L.Concatenate()([u2, c2]))
        u1 = L.UpSampling2D(interpolation="bilinear")(d2)                       # RESIZE_BILINEAR
        d1 = L.Conv2D(8, 3, padding="same", activation="relu")(L.Concatenate()([u1, c1]))
        out = L.Softmax()(L.Conv2D(3, 1)(d1))
        return keras.Model(inp, out, name="unet")

    def fpn_head():
        x = inp = I((96, 96, 3))
        feats = []
        for i, ch in enumerate((16, 24, 32, 48)):
            x = L.Conv2D(ch, 3, strides=2, padding="same", activation="relu6")(x)
            x = L.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
            if i >= 1:
                feats.append(x)                                                  # strides 4, 8, 16
        p = L.Conv2D(24, 1)(feats[-1])
        outs = []
        for f in reversed(feats[:-1]):
            # Resizing, not UpSampling2D: Keras 3 lowers UpSampling2D(nearest) to RESHAPE + TILE
            up = L.Resizing(f.shape[1], f.shape[2], interpolation="nearest")(p)     # RESIZE_NEAREST_NEIGHBOR
            p = L.Add()([up, L.Conv2D(24, 1)(f)])
            q = L.Conv2D(24, 3, padding="same", activation="relu")(p)
            cls = L.Reshape((-1, 3))(L.Conv2D(3, 3, padding="same")(q))
            box = L.Reshape((-1, 4))(L.Conv2D(4, 3, padding="same")(q))
            outs.append(L.Concatenate(axis=-1)([L.Activation("sigmoid")(cls), box]))
        return keras.Model(inp, L.Concatenate(axis=1)(outs), name="fpn_head")

    def ds_cnn():
        x = inp = I((49, 10, 1))
        x = L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False)(x)
        x = L.ReLU()(L.BatchNormalization()(x))
        for _ in range(4):
            x = L.ReLU()(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)))
            x = L.ReLU()(L.BatchNormalization()(L.Conv2D(64, 1, use_bias=False)(x)))
        x = L.AveragePooling2D(pool_size=(x.shape[1], x.shape[2]))(x)
        out = L.Softmax()(L.Dense(12)(L.Flatten()(x)))
        return keras.Model(inp, out, name="ds_cnn")

    def lstm_kws():
        x = inp = I((49, 10))
        x = L.LSTM(32, unroll=False)(x)                                          # UNIDIRECTIONAL_SEQUENCE_LSTM
        out = L.Softmax()(L.Dense(12)(x))
        return keras.Model(inp, out, name="lstm_kws")

    def lstm_kws_unrolled():
        x = inp = I((16, 10))
        x = L.LSTM(32, unroll=True)(x)                                           # FULLY_CONNECTED, SPLIT, LOGISTIC...
        out = L.Softmax()(L.Dense(12)(x))
        return keras.Model(inp, out, name="lstm_kws_unrolled")

    def timeseries_1d():
        x = inp = I((128, 3))
        x = L.Conv1D(16, 5, padding="same", activation="relu")(x)
        x = L.MaxPooling1D(2)(x)
        x = L.Conv1D(32, 3, dilation_rate=2, padding="same", activation="relu")(x)
        x = L.MaxPooling1D(2)(x)
        x = L.Conv1D(32, 3, padding="valid", activation="relu")(x)
        x = L.GlobalAveragePooling1D()(x)
        out = L.Dense(4)(x)
        return keras.Model(inp, out, name="timeseries_1d")

    def nchw_cnn():
        """What a PyTorch export looks like, built in Keras: an NCHW float input transposed to
        NHWC, an explicit zero PAD before every strided convolution, float output."""
        x = inp = I((3, 64, 64))
        x = L.Permute((2, 3, 1))(x)                                              # TRANSPOSE
        for ch in (16, 32, 48):
            x = L.ZeroPadding2D(1)(x)                                            # PAD
            x = L.Conv2D(ch, 3, strides=2, padding="valid", activation="relu")(x)
            x = L.ZeroPadding2D(((1, 1), (1, 1)))(x)
            x = L.DepthwiseConv2D(3, padding="valid", activation="relu")(x)
        x = L.GlobalAveragePooling2D()(x)
        return keras.Model(inp, L.Dense(10)(x), name="nchw_cnn")

    return {
        "keras_mobilenet_v1_025_96": (mobilenet_v1, False, "Keras MobileNet (V1) alpha 0.25, 96x96x3, 10 classes"),
        "keras_mobilenet_v2_035_96": (mobilenet_v2, False, "Keras MobileNetV2 alpha 0.35, 96x96x3, 10 classes"),
        "keras_mobilenet_v3_small_050_96": (mobilenet_v3_small, False,
                                            "Keras MobileNetV3Small alpha 0.5 backbone (hard-swish, squeeze-excite), "
                                            "96x96x3, global pooling + dense, 10 classes"),
        "unet_tiny_64": (unet, False, "tiny U-Net 64x64x3 -> 3 classes: TRANSPOSE_CONV, RESIZE_BILINEAR, CONCATENATION"),
        "fpn_head_96": (fpn_head, False, "FPN-style detector head 96x96x3: RESIZE_NEAREST_NEIGHBOR top-down path, "
                                         "class/box heads at strides 4 and 8"),
        "ds_cnn_kws": (ds_cnn, False, "DS-CNN keyword spotter on 49x10 MFCC (MLPerf Tiny KWS layout), 12 classes"),
        "lstm_kws": (lstm_kws, False, "LSTM(32) keyword spotter on 49x10 features, 12 classes"),
        "lstm_kws_unrolled": (lstm_kws_unrolled, False, "LSTM(32) keyword spotter unrolled over 16 frames of 10 "
                                                        "features (the converter's fused int8 LSTM crashes, see below)"),
        "timeseries_1d": (timeseries_1d, True, "1-D CNN on 128x3 time series (Conv1D, dilation, pooling), float I/O"),
        "nchw_cnn_keras": (nchw_cnn, True, "PyTorch-style CNN built in Keras: NCHW float input + TRANSPOSE, explicit "
                                           "PAD before every convolution, float output"),
    }


def _train_briefly(model, rng: np.random.Generator) -> None:
    """A few steps on synthetic data so batch-norm statistics and activations leave their initial
    values (random-init networks otherwise produce near-constant outputs that test little)."""
    import keras

    shape = (64,) + tuple(model.input_shape[1:])
    x = rng.normal(0, 1, size=shape).astype(np.float32)
    y_shape = (64,) + tuple(model.output_shape[1:])
    y = rng.normal(0, 1, size=y_shape).astype(np.float32)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(x, y, batch_size=16 if model.input_shape[0] is None else model.input_shape[0], epochs=1, verbose=0)


def convert_keras(name: str, build, float_io: bool) -> tuple[bytes, dict]:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    model = build()
    rng = np.random.default_rng(SEED)
    _train_briefly(model, rng)
    in_shape = (1,) + tuple(model.input_shape[1:])
    rep = [rng.normal(0, 1, size=in_shape).astype(np.float32) for _ in range(REP_SAMPLES)]

    def representative():
        for x in rep:
            yield [x]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_io:
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    data = conv.convert()
    return data, dict(converter=f"tf.lite.TFLiteConverter {tf.__version__} (keras {keras.__version__})",
                      params=int(model.count_params()))


# -- PyTorch model (litert-torch) -------------------------------------------------------------------
def convert_pytorch() -> dict[str, tuple[bytes, dict, str]]:
    import litert_torch
    import torch
    from torch import nn

    torch.manual_seed(SEED)

    class Net(nn.Module):
        """A small MobileNetV2-like CNN with PyTorch's own padding (symmetric pads of 1 before the
        stride-2 convolutions, which TFLite expresses as explicit PAD operators)."""

        def __init__(self):
            super().__init__()

            def block(cin, cout, stride):
                return nn.Sequential(nn.Conv2d(cin, cin * 4, 1), nn.BatchNorm2d(cin * 4), nn.ReLU6(),
                                     nn.Conv2d(cin * 4, cin * 4, 3, stride, 1, groups=cin * 4), nn.BatchNorm2d(cin * 4),
                                     nn.ReLU6(), nn.Conv2d(cin * 4, cout, 1), nn.BatchNorm2d(cout))
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU6())
            self.b1 = block(16, 16, 1)
            self.b2 = block(16, 24, 2)
            self.b3 = block(24, 32, 2)
            self.head = nn.Linear(32, 10)

        def forward(self, x):
            x = self.stem(x)
            x = x + self.b1(x)
            x = self.b3(self.b2(x))
            return self.head(x.mean(dim=(2, 3)))

    net = Net()
    # a few steps on synthetic data: batch-norm statistics away from their initial values
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    g = torch.Generator().manual_seed(SEED)
    for _ in range(8):
        x = torch.randn(16, 3, 64, 64, generator=g)
        loss = (net(x) - torch.randn(16, 10, generator=g)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    sample = (torch.randn(1, 3, 64, 64, generator=g),)
    rep = [torch.randn(1, 3, 64, 64, generator=g) for _ in range(REP_SAMPLES)]
    data = _litert_torch_int8(litert_torch, torch, net, sample, rep)
    meta = dict(converter=f"litert-torch {getattr(litert_torch, '__version__', '?')} (torch {torch.__version__})",
                params=int(sum(p.numel() for p in net.parameters())))
    return {"pytorch_mbv2_like_64": (data, meta, "PyTorch MobileNetV2-like CNN, NCHW 1x3x64x64 input, exported "
                                                 "with litert-torch (PT2E int8 quantization)")}


def _litert_torch_int8(litert_torch, torch, net, sample, rep) -> bytes:
    """PT2E post-training int8 quantization with litert-torch's quantizer, calibrated on `rep`."""
    from litert_torch.quantize.pt2e_quantizer import PT2EQuantizer, get_symmetric_quantization_config
    from litert_torch.quantize.quant_config import QuantConfig
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    quantizer = PT2EQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False))
    m = torch.export.export(net, sample).module()
    m = prepare_pt2e(m, quantizer)
    for x in rep:
        m(x)
    m = convert_pt2e(m, fold_quantize=False)
    edge = litert_torch.convert(m, sample, quant_config=QuantConfig(pt2e_quantizer=quantizer))
    path = ZOO / ".pytorch_tmp.tflite"
    edge.export(str(path))
    data = path.read_bytes()
    path.unlink()
    return data


# -- manifest and README --------------------------------------------------------------------------
def write_model(name: str, data: bytes, meta: dict, desc: str, manifest: dict) -> None:
    ZOO.mkdir(parents=True, exist_ok=True)
    (ZOO / f"{name}.tflite").write_bytes(data)
    manifest[name] = dict(file=f"{name}.tflite", description=desc, bytes=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), seed=SEED, representative_samples=REP_SAMPLES,
                          **meta)
    print(f"{name}: {len(data):,} B", flush=True)


def write_readme(manifest: dict) -> None:
    lines = ["# Model zoo: real converter output", "",
             "Small int8 models made by `scripts/make_zoo.py` with the real TensorFlow Lite converter (Keras models) and "
             "litert-torch (the PyTorch model), for tinygen's tests (`tests/models/test_zoo.py`) and results table "
             "(`benchmarks/zoo.py` -> `benchmarks/zoo_results.md`). They are tinygen's own test data (Apache-2.0, like "
             "the project); the architectures are public (Keras applications, MLPerf Tiny's DS-CNN layout).", "",
             "Weights are random (seeded), shaped by one short training pass on synthetic data so that batch-norm "
             "statistics and activation ranges are not at their initial values; full-integer post-training "
             "quantization with a representative dataset of random normal inputs. They classify nothing: they "
             "exercise the converter's real output (operator choice, fused activations, quantization parameters, "
             "padding, layouts).", "",
             "Rebuild (the frameworks live in their own virtual environments, never in tinygen's):", "", "```sh",
             "python3 -m venv /work/tfenv && /work/tfenv/bin/pip install tensorflow-cpu",
             "/work/tfenv/bin/python scripts/make_zoo.py keras",
             "python3 -m venv /work/torchenv && /work/torchenv/bin/pip install torch litert-torch",
             "/work/torchenv/bin/python scripts/make_zoo.py pytorch", "```", "",
             "| model | description | bytes | parameters | converter | sha256 (first 16) |", "|---|---|--:|--:|---|---|"]
    for name in sorted(manifest):
        m = manifest[name]
        lines.append(f"| {m['file']} | {m['description']} | {m['bytes']:,} | {m.get('params', 0):,} | {m['converter']} | "
                     f"{m['sha256'][:16]} |")
    (ZOO / "README.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", choices=["keras", "pytorch", "readme"])
    ap.add_argument("--only", nargs="*", help="model names (default: all of the part)")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    mpath = ZOO / "manifest.json"
    manifest = json.loads(mpath.read_text()) if mpath.is_file() else {}
    failed = manifest.pop("_failed", {})
    if args.part == "keras" and args.only and len(args.only) == 1 and os.environ.get("TINYGEN_ZOO_CHILD"):
        # one model, in a child process (the converter can crash the interpreter: see below)
        name = args.only[0]
        build, float_io, desc = keras_models()[name]
        data, meta = convert_keras(name, build, float_io)
        (ZOO / f".{name}.tflite").write_bytes(data)
        (ZOO / f".{name}.json").write_text(json.dumps(dict(meta=meta, desc=desc)))
        return
    if args.part == "keras":
        import subprocess

        # each model in its own process: the converter's calibration can crash the whole
        # interpreter (a segmentation fault), which must cost that model only
        names = [n for n in keras_models() if not args.only or n in args.only]
        for name in names:
            r = subprocess.run([sys.executable, __file__, "keras", "--only", name], capture_output=True, text=True,
                               env=dict(os.environ, TINYGEN_ZOO_CHILD="1"))
            tmp, info = ZOO / f".{name}.tflite", ZOO / f".{name}.json"
            if r.returncode != 0 or not tmp.is_file():
                err = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
                why = f"signal {-r.returncode}" if r.returncode < 0 else (err[-1][:200] if err else f"exit {r.returncode}")
                failed[name] = f"the converter failed ({why})"
                print(f"{name}: FAILED {failed[name]}", file=sys.stderr, flush=True)
                continue
            j = json.loads(info.read_text())
            failed.pop(name, None)
            write_model(name, tmp.read_bytes(), j["meta"], j["desc"], manifest)
            tmp.unlink()
            info.unlink()
            _save(mpath, manifest, failed)
    elif args.part == "pytorch":
        try:
            for name, (data, meta, desc) in convert_pytorch().items():
                failed.pop(name, None)
                write_model(name, data, meta, desc, manifest)
        except Exception as e:
            failed["pytorch_mbv2_like_64"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            print(f"pytorch: FAILED {failed['pytorch_mbv2_like_64']}", file=sys.stderr, flush=True)
    _save(mpath, manifest, failed)


def _save(mpath: Path, manifest: dict, failed: dict) -> None:
    """manifest.json and README.md, after every model (a later crash loses nothing)."""
    ZOO.mkdir(parents=True, exist_ok=True)
    mpath.write_text(json.dumps(dict(manifest, **({"_failed": failed} if failed else {})), indent=2, sort_keys=True)
                     + "\n")
    write_readme(manifest)
    if failed:
        with (ZOO / "README.md").open("a") as f:
            f.write("\nNot in the zoo (the exporter failed on this machine):\n\n")
            f.writelines(f"- {k}: {v}. {KNOWN_FAILURES.get(k, '')}\n" for k, v in sorted(failed.items()))


if __name__ == "__main__":
    main()
