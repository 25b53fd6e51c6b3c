#!/usr/bin/env python3
"""Converts TFLite Micro's SEANet int16x8 CONV_2D layers into .npy + params.txt.

Usage (from the repository root):
  python3 tests/data/tflm_seanet/convert.py \\
      /work/shared/external/tflite-micro/seanet_conv tests/data/tflm_seanet

SRC holds convN.tflite (one int16-activation / int8-weight CONV_2D layer) and
convN_input0_int16.csv / convN_golden_int16.csv (one line of comma-separated
values each), verbatim from tensorflow/tflite-micro. Each layer becomes
DST/convN/ in the format of tests/data/cmsis_nn (README.md there): input.npy
(int16 NHWC), weights.npy (int8 OHWI), bias.npy (int64, or int32), multiplier.npy
and shift.npy (int32, per output channel), output.npy (int16 NHWC), params.txt.

The multipliers are derived as TFLite does: the effective scale
input_scale * filter_scale[c] / output_scale in double precision from the
float32 scales, then QuantizeMultiplier (frexp, mantissa * 2^31 rounded half
away from zero). The .tflite flatbuffer is read with a minimal reader of the
fields used here (schema: TFLite's schema.fbs; field ids as in
sim/tflite/tflite_subset.fbs). Standard library only.
"""

import math
import os
import struct
import sys

UPSTREAM = "github.com/tensorflow/tflite-micro"
COMMIT = "90b983c2b3f1480642e040bbd2ddb37b998f3424"
UPSTREAM_DIR = "tensorflow/lite/micro/integration_tests/seanet/conv"
LAYERS = ["conv0", "conv15"]

INT16, INT32, INT64, INT8 = 7, 2, 4, 9
CONV_2D = 3
SAME, VALID = 0, 1
ACT_NONE, ACT_RELU = 0, 1


def fail(msg):
    sys.exit("convert.py: " + msg)


class Table:
    """A flatbuffer table: fields by id, scalars, tables and vectors."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        self.vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vsize = struct.unpack_from("<H", buf, self.vtable)[0]

    def _offset(self, field):
        at = 4 + 2 * field
        if at >= self.vsize:
            return 0
        return struct.unpack_from("<H", self.buf, self.vtable + at)[0]

    def scalar(self, field, fmt, default=0):
        off = self._offset(field)
        if not off:
            return default
        return struct.unpack_from("<" + fmt, self.buf, self.pos + off)[0]

    def _target(self, field):
        off = self._offset(field)
        if not off:
            return None
        at = self.pos + off
        return at + struct.unpack_from("<I", self.buf, at)[0]

    def table(self, field):
        at = self._target(field)
        return None if at is None else Table(self.buf, at)

    def vector(self, field, fmt):
        at = self._target(field)
        if at is None:
            return []
        n = struct.unpack_from("<I", self.buf, at)[0]
        return list(struct.unpack_from("<%d%s" % (n, fmt), self.buf, at + 4))

    def tables(self, field):
        at = self._target(field)
        if at is None:
            return []
        n = struct.unpack_from("<I", self.buf, at)[0]
        out = []
        for i in range(n):
            elem = at + 4 + 4 * i
            out.append(Table(self.buf,
                             elem + struct.unpack_from("<I", self.buf, elem)[0]))
        return out


def quantize_multiplier(real):
    """TFLite QuantizeMultiplier (as golden/requant.h documents it)."""
    if real == 0:
        return 0, 0
    frac, exp = math.frexp(real)
    q = int(math.floor(frac * 2 ** 31 + 0.5))  # frac > 0: half away from 0
    if q == 2 ** 31:
        q //= 2
        exp += 1
    if exp < -31:
        return 0, 0
    if exp > 30:
        return 2 ** 31 - 1, 30
    return q, exp


NPY = {"int8": ("|i1", "b"), "int16": ("<i2", "h"), "int32": ("<i4", "i"),
       "int64": ("<i8", "q")}


def write_npy(path, dtype, shape, values):
    count = 1
    for d in shape:
        count *= d
    if count != len(values):
        fail("%s: shape %s needs %d values, got %d" % (path, shape, count,
                                                        len(values)))
    descr, fmt = NPY[dtype]
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, dims)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("ascii"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def read_csv(path):
    with open(path) as f:
        return [int(v) for v in f.read().replace("\n", ",").split(",")
                if v.strip()]


def same_pads(size, k, stride, dilation):
    out = (size + stride - 1) // stride
    total = max(0, (out - 1) * stride + dilation * (k - 1) + 1 - size)
    return out, total // 2, total - total // 2


def convert(src, layer, dst):
    buf = open(os.path.join(src, layer + ".tflite"), "rb").read()
    model = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    buffers = model.tables(4)
    codes = model.tables(1)
    graphs = model.tables(2)
    if len(graphs) != 1:
        fail("%s: %d subgraphs, expected 1" % (layer, len(graphs)))
    graph = graphs[0]
    tensors = graph.tables(0)
    ops = graph.tables(3)
    if len(ops) != 1:
        fail("%s: %d operators, expected one CONV_2D" % (layer, len(ops)))
    op = ops[0]
    code = codes[op.scalar(0, "I")]
    builtin = max(code.scalar(0, "b"), code.scalar(3, "i"))
    if builtin != CONV_2D:
        fail("%s: operator %d, expected CONV_2D" % (layer, builtin))
    ins, outs = op.vector(1, "i"), op.vector(2, "i")
    opts = op.table(4)

    def tensor(i):
        t = tensors[i]
        q = t.table(4)
        data = buffers[t.scalar(2, "I")].vector(0, "B")
        return {"shape": t.vector(0, "i"), "type": t.scalar(1, "b"),
                "data": bytes(data),
                "scale": q.vector(2, "f") if q else [],
                "zp": q.vector(3, "q") if q else []}

    x, w, b, y = tensor(ins[0]), tensor(ins[1]), tensor(ins[2]), tensor(outs[0])
    if (x["type"], w["type"], y["type"]) != (INT16, INT8, INT16):
        fail("%s: types %d/%d/%d, expected int16/int8/int16" %
             (layer, x["type"], w["type"], y["type"]))
    if b["type"] not in (INT64, INT32):
        fail("%s: bias type %d" % (layer, b["type"]))
    if any(x["zp"]) or any(y["zp"]) or any(w["zp"]):
        fail("%s: nonzero zero point" % layer)
    n, in_h, in_w, cin = x["shape"]
    cout, kh, kw, cin_g = w["shape"]
    padding = opts.scalar(0, "b")
    sw, sh = opts.scalar(1, "i"), opts.scalar(2, "i")
    act = opts.scalar(3, "b")
    dw, dh = opts.scalar(4, "i", 1), opts.scalar(5, "i", 1)
    if padding == SAME:
        oh, pt, pb = same_pads(in_h, kh, sh, dh)
        ow, pl, pr = same_pads(in_w, kw, sw, dw)
    elif padding == VALID:
        oh = (in_h - dh * (kh - 1) - 1) // sh + 1
        ow = (in_w - dw * (kw - 1) - 1) // sw + 1
        pt = pb = pl = pr = 0
    else:
        fail("%s: padding %d" % (layer, padding))
    if y["shape"] != [n, oh, ow, cout]:
        fail("%s: output shape %s, expected %s" % (layer, y["shape"],
                                                   [n, oh, ow, cout]))
    out_scale = y["scale"][0]
    if act == ACT_NONE:
        act_min, act_max = -32768, 32767
    elif act == ACT_RELU:
        act_min, act_max = 0, 32767
    else:
        fail("%s: fused activation %d" % (layer, act))

    w_scales = w["scale"] if len(w["scale"]) == cout else w["scale"] * cout
    mult, shift = [], []
    for s in w_scales:
        m, e = quantize_multiplier(x["scale"][0] * s / out_scale)
        mult.append(m)
        shift.append(e)

    inp = read_csv(os.path.join(src, layer + "_input0_int16.csv"))
    ref = read_csv(os.path.join(src, layer + "_golden_int16.csv"))
    weights = list(struct.unpack("<%db" % len(w["data"]), w["data"]))
    bias_dtype, fmt = ("int64", "q") if b["type"] == INT64 else ("int32", "i")
    bias = list(struct.unpack("<%d%s" % (cout, fmt), b["data"]))

    out_dir = os.path.join(dst, layer)
    os.makedirs(out_dir, exist_ok=True)
    write_npy(os.path.join(out_dir, "input.npy"), "int16", x["shape"], inp)
    write_npy(os.path.join(out_dir, "weights.npy"), "int8", w["shape"],
              weights)
    write_npy(os.path.join(out_dir, "bias.npy"), bias_dtype, [cout], bias)
    write_npy(os.path.join(out_dir, "multiplier.npy"), "int32", [cout], mult)
    write_npy(os.path.join(out_dir, "shift.npy"), "int32", [cout], shift)
    write_npy(os.path.join(out_dir, "output.npy"), "int16", y["shape"], ref)
    params = [
        ("kind", "conv"),
        ("origin", "%s@%s %s/%s" % (UPSTREAM, COMMIT, UPSTREAM_DIR, layer)),
        ("copied_from", "tflite-micro/seanet_conv/" + layer),
        ("act_bits", 16),
        ("bias_bits", 64 if bias_dtype == "int64" else 32),
        ("act_min", act_min), ("act_max", act_max),
        ("stride_h", sh), ("stride_w", sw),
        ("pad_top", pt), ("pad_left", pl), ("pad_bottom", pb),
        ("pad_right", pr),
        ("dilation_h", dh), ("dilation_w", dw), ("groups", cin // cin_g),
    ]
    with open(os.path.join(out_dir, "params.txt"), "w") as f:
        for key, value in params:
            f.write("%s %s\n" % (key, value))
    return "%s %s -> %s, kernel %dx%d, stride %d/%d, dilation %d/%d, %s" % (
        layer, x["shape"], y["shape"], kh, kw, sh, sw, dh, dw,
        "SAME" if padding == SAME else "VALID")


def main():
    if len(sys.argv) != 3:
        fail("usage: convert.py SRC DST")
    for layer in LAYERS:
        print(convert(sys.argv[1], layer, sys.argv[2]))


if __name__ == "__main__":
    main()
