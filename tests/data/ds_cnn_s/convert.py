#!/usr/bin/env python3
"""Converts CMSIS-NN's ds_cnn_s test network (C headers) into .npy + YAML.

Usage (from the repository root):
  python3 tests/data/ds_cnn_s/convert.py \
      /work/shared/external/cmsis-nn-more/ds_cnn_s tests/data/ds_cnn_s

Writes input.npy, <layer>_w.npy / <layer>_b.npy, expected_softmax.npy and
ds_cnn_s.yaml (sparq's network format, docs/yaml.md) with the per-channel
multipliers and shifts from the headers. Standard library only.
"""

import os
import re
import struct
import sys

DEFINE_RE = re.compile(r"^#define\s+(\w+)\s+(\S+)\s*$", re.M)
ARRAY_RE = re.compile(r"const\s+(\w+)\s+(\w+)\s*\[\s*\d*\s*\]\s*=\s*\{([^}]*)\}",
                      re.S)
NPY_DESCR = {"int8_t": "|i1", "int32_t": "<i4"}
PACK = {"int8_t": "b", "int32_t": "i"}


def fail(msg):
    sys.exit("convert.py: " + msg)


def read_headers(folder):
    defines, arrays = {}, {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".h"):
            continue
        with open(os.path.join(folder, name)) as f:
            text = f.read()
        for key, value in DEFINE_RE.findall(text):
            defines[key] = value
        for ctype, name_, body in ARRAY_RE.findall(text):
            values = [int(v) for v in body.replace("\n", " ").split(",")
                      if v.strip()]
            arrays[name_] = (ctype, values)
    return defines, arrays


def write_npy(path, ctype, shape, values):
    count = 1
    for d in shape:
        count *= d
    if count != len(values):
        fail("%s: shape %s needs %d values, got %d" %
             (path, shape, count, len(values)))
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        NPY_DESCR[ctype], dims)
    pad = 64 - (10 + len(header) + 1) % 64
    header += " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), PACK[ctype]), *values))


def same_pads(size, k, stride, out, before):
    total = max((out - 1) * stride + k - size, 0)
    return before, total - before


def main():
    if len(sys.argv) != 3:
        fail("usage: convert.py SRC_DS_CNN_S_FOLDER DST")
    src, dst = sys.argv[1], sys.argv[2]
    d, a = read_headers(src)

    def arr(name):
        if name not in a:
            fail("missing array " + name)
        return a[name]

    def num(key):
        if key not in d:
            fail("missing #define " + key)
        return int(d[key])

    ctype, values = arr("ds_cnn_s_input")
    p = "CONV_2D_1_"
    in_shape = [1, num(p + "INPUT_H"), num(p + "INPUT_W"), num(p + "IN_CH")]
    write_npy(os.path.join(dst, "input.npy"), ctype, in_shape, values)
    ctype, values = arr("ds_cnn_s_output_ref")
    write_npy(os.path.join(dst, "expected_softmax.npy"), ctype,
              [1, len(values)], values)

    lines = [
        "# DS-CNN-S keyword spotting (ARM ML-Zoo), converted from CMSIS-NN's",
        "# ds_cnn_s test headers by convert.py; see README.md.",
        "hardware:",
        "  array: [4, 4]",
        "network:",
        "  name: ds_cnn_s",
        "  input:",
        "    npy: input.npy",
        "    zero_point: %d" % -num(p + "INPUT_OFFSET"),
        "layers:",
    ]
    for n in range(1, 10):
        dw = n % 2 == 0
        p = ("DEPTHWISE_CONV_2D_%d_" if dw else "CONV_2D_%d_") % n
        base = "ds_cnn_s_layer_%d_%s" % (n, "depthwise_conv_2d" if dw
                                        else "conv_2d")
        name = "dw%d" % n if dw else "conv%d" % n
        kh, kw = num(p + "FILTER_Y"), num(p + "FILTER_X")
        cin, cout = num(p + "IN_CH"), num(p + "OUT_CH")
        sh, sw = num(p + "STRIDE_Y"), num(p + "STRIDE_X")
        top, bottom = same_pads(num(p + "INPUT_H"), kh, sh,
                                num(p + "OUTPUT_H"), num(p + "PAD_Y"))
        left, right = same_pads(num(p + "INPUT_W"), kw, sw,
                                num(p + "OUTPUT_W"), num(p + "PAD_X"))
        ctype, w = arr(base + "_weights")
        wshape = [1, kh, kw, cout] if dw else [cout, kh, kw, cin]
        write_npy(os.path.join(dst, name + "_w.npy"), ctype, wshape, w)
        ctype, b = arr(base + "_bias")
        write_npy(os.path.join(dst, name + "_b.npy"), ctype, [cout], b)
        mult = arr(base + "_output_mult")[1]
        shift = arr(base + "_output_shift")[1]
        lines += [
            "  - name: %s" % name,
            "    type: %s" % ("depthwise" if dw else "conv"),
        ]
        if dw:
            lines.append("    channel_multiplier: %d" % (cout // cin))
        else:
            lines.append("    out_channels: %d" % cout)
        lines += [
            "    kernel: [%d, %d]" % (kh, kw),
            "    stride: [%d, %d]" % (sh, sw),
            "    padding: [%d, %d, %d, %d]" % (top, left, bottom, right),
            "    weights: {npy: %s_w.npy}" % name,
            "    bias: {npy: %s_b.npy}" % name,
            "    input_zero_point: %d" % -num(p + "INPUT_OFFSET"),
            "    multiplier: [%s]" % ", ".join(str(v) for v in mult),
            "    shift: [%s]" % ", ".join(str(v) for v in shift),
            "    output_zero_point: %d" % num(p + "OUTPUT_OFFSET"),
            "    act_min: %d" % num(p + "OUT_ACTIVATION_MIN"),
            "    act_max: %d" % num(p + "OUT_ACTIVATION_MAX"),
        ]
    p = "AVERAGE_POOL_2D_10_"
    lines += [
        "  - name: pool",
        "    type: avgpool",
        "    kernel: [%d, %d]" % (num(p + "FILTER_Y"), num(p + "FILTER_X")),
        "    act_min: %d" % num(p + "OUT_ACTIVATION_MIN"),
        "    act_max: %d" % num(p + "OUT_ACTIVATION_MAX"),
    ]
    p = "FULLY_CONNECTED_12_"
    # The header names the FC's input size OUT_CH and its output size IN_CH.
    nin, nout = num(p + "OUT_CH"), num(p + "IN_CH")
    ctype, w = arr("ds_cnn_s_layer_12_fully_connected_weights")
    write_npy(os.path.join(dst, "fc_w.npy"), ctype, [nout, nin], w)
    ctype, b = arr("ds_cnn_s_layer_12_fully_connected_bias")
    write_npy(os.path.join(dst, "fc_b.npy"), ctype, [nout], b)
    lines += [
        "  - name: logits",
        "    type: fc",
        "    out_features: %d" % nout,
        "    weights: {npy: fc_w.npy}",
        "    bias: {npy: fc_b.npy}",
        "    input_zero_point: %d" % -num(p + "INPUT_OFFSET"),
        "    multiplier: %d" % num(p + "OUTPUT_MULTIPLIER"),
        "    shift: %d" % num(p + "OUTPUT_SHIFT"),
        "    output_zero_point: %d" % num(p + "OUTPUT_OFFSET"),
        "    act_min: %d" % num(p + "OUT_ACTIVATION_MIN"),
        "    act_max: %d" % num(p + "OUT_ACTIVATION_MAX"),
    ]
    p = "SOFTMAX_13_"
    lines += [
        "  - name: softmax",
        "    type: softmax",
        "    multiplier: %d" % num(p + "MULT"),
        "    shift: %d" % num(p + "SHIFT"),
        "    diff_min: %d" % num(p + "DIFF_MIN"),
    ]
    with open(os.path.join(dst, "ds_cnn_s.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
