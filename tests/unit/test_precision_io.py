"""INT4 tensors in the IR, the .tflite reader and writer (TFLite's packing: value 2i in the low nibble
of byte i, value 2i + 1 in the high nibble, what TFLite Micro's UnpackDenseInt4IntoInt8 reads), the
model converters, and the clear refusals of what the mixed-precision kernels do not take.
(Bit-exactness with TFLite Micro: tests/host/test_precision.py.)"""

import numpy as np
import pytest

from tinygen.compiler import compile_model
from tinygen.errors import ModelFormatError, UnsupportedError
from tinygen.frontend import parse_tflite
from tinygen.ir import Quant, pack_int4
from tinygen.ir.tensor import unpack_int4
from tinygen.schema import schema
from tinygen.testing import GraphBuilder
from tinygen.testing.precision import to_16x8, to_int4_weights
from tinygen.writer import write_tflite


def test_pack_int4_nibble_order():
    # 1 -> 0x1 (low nibble of byte 0), -2 -> 0xE (high nibble), 7 -> 0x7, -8 -> 0x8
    assert pack_int4(np.array([1, -2, 7, -8], np.int8)).tolist() == [0xE1, 0x87]
    assert pack_int4(np.array([-1], np.int8)).tolist() == [0x0F]          # odd count: high nibble 0
    assert pack_int4(np.array([0, -1, 5], np.int8)).tolist() == [0xF0, 0x05]
    assert pack_int4(np.zeros(0, np.int8)).tolist() == []


def test_unpack_int4_sign_extends():
    assert unpack_int4(np.array([0xE1, 0x87], np.uint8), 4).tolist() == [1, -2, 7, -8]
    assert unpack_int4(np.array([0xF0, 0x05], np.uint8), 3).tolist() == [0, -1, 5]


@pytest.mark.parametrize("n", [1, 2, 7, 16, 255])
def test_int4_round_trip(n):
    v = np.random.default_rng(n).integers(-8, 8, n).astype(np.int8)
    packed = pack_int4(v)
    assert packed.dtype == np.uint8 and packed.size == (n + 1) // 2
    assert np.array_equal(unpack_int4(packed, n), v)


def test_pack_int4_refuses_out_of_range():
    for bad in ([8], [-9], [0, 100]):
        with pytest.raises(ValueError, match=r"\[-8, 7\]"):
            pack_int4(np.array(bad, np.int16))


def _int4_conv_graph(cout=3, cin=5):
    b = GraphBuilder("i4", seed=3)
    x = b.input((1, 4, 4, cin))
    y = b.conv2d(x, cout, kernel=(3, 3))
    return to_int4_weights(b.build([y]))


def test_writer_reader_round_trip_keeps_int4_packed():
    g = _int4_conv_graph()
    w = g.ops[0].inputs[1]
    w.data = np.random.default_rng(0).integers(-8, 8, w.shape).astype(np.int8)  # odd count: 3*3*3*5 = 135
    data = write_tflite(g)
    # the file holds TFLite's INT4 type and the packed bytes
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    t = [t for t in m.subgraphs[0].tensors if t.name.decode() == w.name][0]
    assert t.type == schema.TensorType.INT4
    raw = np.asarray(m.buffers[t.buffer].data, np.uint8)
    assert raw.size == (w.size + 1) // 2 and np.array_equal(raw, pack_int4(w.data))
    # and reads back as the same values, shape, type and quantization
    r = parse_tflite(data).ops[0].inputs[1]
    assert r.dtype == "int4" and r.shape == w.shape and r.nbytes == (w.size + 1) // 2
    assert np.array_equal(r.data, w.data)
    assert np.allclose(r.quant.scale, w.quant.scale) and r.quant.axis == w.quant.axis


def test_reader_refuses_wrong_int4_buffer_size():
    g = _int4_conv_graph()
    data = write_tflite(g)
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    t = [t for t in m.subgraphs[0].tensors if t.type == schema.TensorType.INT4][0]
    m.buffers[t.buffer].data = np.zeros(135, np.uint8)  # unpacked size, not (135 + 1) // 2
    import flatbuffers

    fb = flatbuffers.Builder(1024)
    fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
    with pytest.raises(ModelFormatError, match="135 bytes of data .* needs 68"):
        parse_tflite(bytes(fb.Output()))


def test_to_int4_weights_symmetric_and_per_tensor_fc():
    b = GraphBuilder("c", seed=1)
    x = b.input((1, 6, 6, 4))
    y = b.conv2d(x, 6, kernel=(3, 3))
    z = b.fully_connected(b.reshape(y, (1, 216)), 5, per_channel=True)
    g = to_int4_weights(b.build([z]))
    conv, fc = [op for op in g.ops if op.kind in ("CONV_2D", "FULLY_CONNECTED")]
    for op in (conv, fc):
        w = op.inputs[1]
        assert w.dtype == "int4" and w.data.min() >= -7 and w.data.max() <= 7 and np.all(w.quant.zero_point == 0)
    assert conv.inputs[1].quant.scale.size == 6      # per channel kept
    assert fc.inputs[1].quant.scale.size == 1        # TFLM: int4 fully connected per tensor only


def test_to_16x8_types():
    b = GraphBuilder("s", seed=2)
    x = b.input((1, 6, 6, 4))
    y = b.max_pool2d(b.depthwise_conv2d(x, 1))
    z = b.softmax(b.fully_connected(b.reshape(y, (1, 36)), 5))
    g = to_16x8(b.build([z]))
    for t in g.tensors():
        if not t.is_const and t.dtype != "int32":
            assert t.dtype == "int16" and int(t.quant.zp) == 0, t
    for op in g.ops:
        if op.kind in ("DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            assert op.inputs[1].dtype == "int8" and op.inputs[2].dtype == "int64"
    sm = [op for op in g.ops if op.kind == "SOFTMAX"][0]
    assert float(sm.outputs[0].quant.s) == 1.0 / 32768
    compile_model(write_tflite(g))  # and it compiles


# -- refusals ---------------------------------------------------------------------------------------
def _refused(g, *words):
    with pytest.raises(UnsupportedError) as e:
        compile_model(write_tflite(g))
    msg = str(e.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg
    return msg


@pytest.mark.parametrize("kind", ["add", "mul", "logistic", "tanh", "mean", "concat", "pad", "quantize"])
def test_int16_operators_without_kernel_are_refused(kind):
    b = GraphBuilder("u", seed=1)
    x = b.input((1, 4, 4, 8))
    if kind in ("add", "mul"):
        y = getattr(b, kind)(x, b.input((1, 4, 4, 8)))
    elif kind == "concat":
        y = b.concatenation([x, b.input((1, 4, 4, 8))], axis=3)
    elif kind == "mean":
        y = b.mean(x, [1, 2])
    elif kind == "pad":
        y = b.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    else:
        y = getattr(b, kind)(x)
    _refused(to_16x8(b.build([y])), "int16")


def test_int16_with_int4_weights_refused():
    g = to_16x8(_int4_conv_graph())
    _refused(g, "CONV_2D", "int8 weights only")


def test_int16_nonzero_zero_point_refused():
    b = GraphBuilder("z", seed=1)
    y = b.fully_connected(b.input((1, 8)), 4)
    g = to_16x8(b.build([y]))
    g.inputs[0].quant = Quant(scale=g.inputs[0].quant.scale, zero_point=[3])
    _refused(g, "zero point 3", "symmetric")


def test_int16_depthwise_int32_bias_refused():
    b = GraphBuilder("d", seed=1)
    y = b.depthwise_conv2d(b.input((1, 5, 5, 4)), 1)
    g = to_16x8(b.build([y]))
    bias = g.ops[0].inputs[2]
    bias.dtype, bias.data = "int32", bias.data.astype(np.int32)
    _refused(g, "bias", "int64")


def test_int4_per_channel_fully_connected_refused():
    b = GraphBuilder("f", seed=1)
    y = b.fully_connected(b.input((1, 8)), 4, per_channel=True)
    g = to_int4_weights(b.build([y]))
    w = g.ops[0].inputs[1]
    w.quant = Quant(scale=np.full(4, float(w.quant.scale[0]), np.float32), zero_point=np.zeros(4, np.int64), axis=0)
    _refused(g, "per channel", "per tensor")


def test_int4_nonzero_zero_point_refused():
    g = _int4_conv_graph()
    w = g.ops[0].inputs[1]
    w.quant = Quant(scale=w.quant.scale, zero_point=np.ones(w.quant.scale.size, np.int64), axis=0)
    _refused(g, "zero point", "symmetric")
