"""Front end: parsing, IR round trip through the writer, and bad input."""

import numpy as np
import pytest

from tinygen.compiler import compile_model
from tinygen.errors import ModelFormatError, TinygenError, UnsupportedError
from tinygen.frontend import parse_tflite
from tinygen.schema import schema
from tinygen.ir import Graph, Op, Quant, Tensor
from tinygen.testing import GraphBuilder
from tinygen.writer import write_tflite


def small_model(seed=0) -> bytes:
    b = GraphBuilder("small", seed=seed)
    x = b.input((1, 6, 6, 2))
    y = b.conv2d(x, 3, kernel=(3, 3), activation="RELU")
    return b.tflite([y])


def test_round_trip_preserves_graph():
    data = small_model()
    g = parse_tflite(data)
    assert [op.kind for op in g.ops] == ["CONV_2D"]
    op = g.ops[0]
    assert op.attrs.activation == "RELU" and op.attrs.padding == "SAME"
    w = op.inputs[1]
    assert w.is_const and w.quant.per_channel and w.quant.scale.size == 3
    # writing the parsed graph again gives a model that parses to the same tensors
    g2 = parse_tflite(write_tflite(g))
    for a, b in zip(g.tensors(), g2.tensors()):
        assert a.shape == b.shape and a.dtype == b.dtype
        if a.is_const:
            np.testing.assert_array_equal(a.data, b.data)
        if a.quant is not None:
            np.testing.assert_array_equal(a.quant.scale, b.quant.scale)


def test_opcode_uses_max_of_builtin_and_deprecated_code():
    data = small_model()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    code = m.operatorCodes[0]
    # old writers: only the deprecated field; new writers of codes >= 127: deprecated = 127
    code.builtinCode = 0
    code.deprecatedBuiltinCode = schema.BuiltinOperator.CONV_2D
    import flatbuffers

    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    g = parse_tflite(bytes(b.Output()))
    assert g.ops[0].kind == "CONV_2D"


def test_not_a_tflite_file():
    with pytest.raises(ModelFormatError, match="not a TFLite model"):
        parse_tflite(b"hello world, this is not a model")
    with pytest.raises(ModelFormatError, match="bytes long"):
        parse_tflite(b"abc")


@pytest.mark.parametrize("cut", [8, 16, 64, 200, -100, -10])
def test_truncated_file(cut):
    data = small_model()
    with pytest.raises(TinygenError):
        compile_model(data[:cut])


def test_unsupported_operator_names_type_index_and_tensors():
    b = GraphBuilder("u", seed=1)
    x = b.input((1, 4, 4, 2))
    y = b.conv2d(x, 2)
    # rewrite the operator code to a real builtin tinygen does not support
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(b.tflite([y]), 0))
    m.operatorCodes[0].builtinCode = schema.BuiltinOperator.ABS
    m.operatorCodes[0].deprecatedBuiltinCode = schema.BuiltinOperator.ABS
    m.subgraphs[0].operators[0].builtinOptionsType = 0
    m.subgraphs[0].operators[0].builtinOptions = None
    import flatbuffers

    fb = flatbuffers.Builder(1024)
    fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
    with pytest.raises(UnsupportedError) as e:
        compile_model(bytes(fb.Output()))
    msg = str(e.value)
    assert "ABS" in msg and "operator 0" in msg and "input_1" in msg


def test_float_model_is_refused_with_a_clear_message():
    x = Tensor("x", (1, 4, 4, 2), "float32")
    w = Tensor("w", (2, 3, 3, 2), "float32", data=np.ones((2, 3, 3, 2), np.float32))
    y = Tensor("y", (1, 4, 4, 2), "float32")
    from tinygen.ops.conv2d import Conv2DAttrs

    g = Graph("f", [Op("CONV_2D", [x, w, None], [y], Conv2DAttrs())], [x], [y])
    with pytest.raises(UnsupportedError, match="int8-quantized"):
        compile_model(parse_tflite(write_tflite(g)))


def test_impossible_shape_is_refused():
    b = GraphBuilder("s", seed=2)
    x = b.input((1, 6, 6, 2))
    y = b.conv2d(x, 3)
    g = b.build([y])
    y.shape = (1, 7, 6, 3)  # not what a 3x3 SAME convolution of 6x6 produces
    with pytest.raises(UnsupportedError, match="shape"):
        compile_model(parse_tflite(write_tflite(g)))


def test_huge_shape_is_refused():
    b = GraphBuilder("h", seed=2)
    x = b.input((1, 6, 6, 2))
    y = b.conv2d(x, 3)
    g = b.build([y])
    y.shape = (1, 60000, 60000, 3)
    with pytest.raises(UnsupportedError, match="bytes"):
        parse_tflite(write_tflite(g))


def test_constant_with_wrong_byte_count_is_refused():
    data = bytearray(small_model())
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(bytes(data), 0))
    for t in m.subgraphs[0].tensors:
        if m.buffers[t.buffer].data is not None and len(m.buffers[t.buffer].data):
            m.buffers[t.buffer].data = m.buffers[t.buffer].data[:-1]
            break
    import flatbuffers

    fb = flatbuffers.Builder(1024)
    fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
    with pytest.raises(ModelFormatError, match="bytes of data"):
        parse_tflite(bytes(fb.Output()))


def test_invalid_bias_quantized_dimension_is_ignored():
    b = GraphBuilder("q", seed=3)
    x = b.input((1, 5, 5, 2))
    y = b.conv2d(x, 3)
    g = b.build([y])
    bias = g.ops[0].inputs[2]
    bias.quant = Quant(scale=bias.quant.scale, zero_point=bias.quant.zero_point, axis=0)
    data = write_tflite(g)
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    idx = [t.name for t in m.subgraphs[0].tensors].index(bias.name.encode())
    m.subgraphs[0].tensors[idx].quantization.quantizedDimension = 3  # invalid for a 1-D tensor
    import flatbuffers

    fb = flatbuffers.Builder(1024)
    fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
    g2 = parse_tflite(bytes(fb.Output()))
    assert g2.ops[0].inputs[2].quant.axis == 0
    compile_model(g2)
