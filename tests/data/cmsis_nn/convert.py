#!/usr/bin/env python3
"""Converts CMSIS-NN int8 unit-test headers into .npy tensors + params.txt.

Usage (from the repository root):
  python3 tests/data/cmsis_nn/convert.py /work/shared/external tests/data/cmsis_nn

SRC holds cmsis-nn/ and cmsis-nn-more/ (verbatim copies of
ARM-software/CMSIS-NN Tests/UnitTest/TestCases/TestData/<case>/). Each case
becomes DST/<case>/ with input.npy, weights.npy (OHWI for conv, [out][in] for
fc), bias.npy, multiplier.npy, shift.npy (per output channel), output.npy and
params.txt ("key value" lines). Packed int4 cases keep upstream's packed bytes
in weights_int4.npy instead of weights.npy; int16x8 cases have int16
input/output and an int64 or int32 bias. Standard library only.
"""

import os
import re
import struct
import sys

UPSTREAM = "github.com/ARM-software/CMSIS-NN"
COMMIT = "99f736a63036613032f9b70de36b493bcd7802d4"

# (folder under SRC, case). Only int8 activations and int8 weights with
# weight zero point 0; see README.md for the cases left out and why.
CASES = [
    ("cmsis-nn", "basic"),
    ("cmsis-nn", "conv_2"),
    ("cmsis-nn", "conv_dilation_golden"),
    ("cmsis-nn", "conv_out_activation"),
    ("cmsis-nn", "depthwise_2"),
    ("cmsis-nn", "depthwise_kernel_3x3"),
    ("cmsis-nn", "fc_per_ch"),
    ("cmsis-nn", "fully_connected"),
    ("cmsis-nn", "kernel1x1"),
    ("cmsis-nn", "stride2pad1"),
    ("cmsis-nn-more", "conv_2x2_dilation"),
    ("cmsis-nn-more", "conv_3"),
    ("cmsis-nn-more", "conv_4"),
    ("cmsis-nn-more", "conv_5"),
    ("cmsis-nn-more", "depthwise_dilation"),
    ("cmsis-nn-more", "depthwise_eq_in_out_ch"),
    ("cmsis-nn-more", "depthwise_mult_batches"),
    ("cmsis-nn-more", "depthwise_x_stride"),
    ("cmsis-nn-more", "fully_connected_null_bias_0"),
    ("cmsis-nn-more", "grouped_conv"),
    ("cmsis-nn-more", "in_ch_one_out_ch_larger_one"),
    ("cmsis-nn-more", "kernel1x1_stride_x_y"),
    # Packed int4 weights (two per byte, low nibble first).
    ("cmsis-nn", "basic_int4"),
    ("cmsis-nn", "fully_connected_int4"),
    ("cmsis-nn-more", "conv_2_int4"),
    ("cmsis-nn-more", "conv_3_int4"),
    ("cmsis-nn-more", "depthwise_int4_1"),
    ("cmsis-nn-more", "fully_connected_int4_2"),
    ("cmsis-nn-more", "kernel1x1_int4"),
    ("cmsis-nn-more", "stride2pad1_int4"),
    # int16 activations, int8 weights (TFLite 16x8), int64 or int32 bias.
    ("cmsis-nn", "int16xint8"),
    ("cmsis-nn", "requantize_s64"),
    ("cmsis-nn-more", "fully_connected_int16"),
    ("cmsis-nn-more", "int16xint8_dilation_1"),
    ("cmsis-nn-more", "int16xint8xint32_1"),
    ("cmsis-nn-more", "int16xint8xint32_4"),
]

DEFINE_RE = re.compile(r"^#define\s+(\w+)\s+(\S+)\s*$", re.M)
ARRAY_RE = re.compile(r"const\s+(\w+)\s+(\w+)\s*\[\s*\d*\s*\]\s*=\s*\{([^}]*)\}",
                      re.S)
ALIAS_RE = re.compile(
    r"const\s+(\w+)\s*\*\s*(?:const\s+)?(\w+)\s*=\s*(\w+)\s*;")

NPY_DESCR = {"int8_t": "|i1", "uint8_t": "|u1", "int16_t": "<i2",
             "int32_t": "<i4", "int64_t": "<i8"}
PACK = {"int8_t": "b", "uint8_t": "B", "int16_t": "h", "int32_t": "i",
        "int64_t": "q"}


def fail(msg):
    sys.exit("convert.py: " + msg)


def read_case(folder):
    defines, arrays, aliases, pointer_types = {}, {}, {}, {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".h"):
            continue
        text = open(os.path.join(folder, name)).read()
        for key, value in DEFINE_RE.findall(text):
            defines[key] = value
        for ctype, var, body in ARRAY_RE.findall(text):
            values = [int(v) for v in body.replace("\n", " ").split(",")
                      if v.strip()]
            arrays[var] = (ctype, values)
        for ctype, var, target in ALIAS_RE.findall(text):
            aliases[var] = target
            pointer_types[var] = ctype
    for var, target in aliases.items():
        if target in arrays:
            arrays[var] = arrays[target]
    return defines, arrays, pointer_types


def write_npy(path, ctype, shape, values):
    count = 1
    for d in shape:
        count *= d
    if count != len(values):
        fail("%s: shape %s needs %d values, header has %d"
             % (path, shape, count, len(values)))
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        NPY_DESCR[ctype], dims)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("ascii"))
        f.write(struct.pack("<%d%s" % (len(values), PACK[ctype]), *values))


def conv_out(size, k, stride, pad_before, pad_after, dilation):
    return (size + pad_before + pad_after - dilation * (k - 1) - 1) // stride + 1


def convert(src, repo_folder, case, dst):
    folder = os.path.join(src, repo_folder, case)
    defines, arrays, pointer_types = read_case(folder)
    prefix = case.upper() + "_"

    def d(key, default=None):
        if prefix + key in defines:
            return int(defines[prefix + key])
        if default is None:
            fail("%s: no #define %s%s" % (case, prefix, key))
        return default

    def arr(*names, ctype=None):
        for n in names:
            if case + "_" + n in arrays:
                t, values = arrays[case + "_" + n]
                if ctype and t != ctype:
                    fail("%s: %s_%s is %s, expected %s" % (case, case, n, t,
                                                            ctype))
                return t, values
        return None, None

    if prefix + "CH_MULT" in defines:
        kind = "depthwise"
    elif prefix + "FILTER_X" in defines:
        kind = "conv"
    else:
        kind = "fc"

    batches = d("INPUT_BATCHES")
    in_ch, out_ch = d("IN_CH"), d("OUT_CH")
    act_type, inp = arr("input")
    if act_type not in ("int8_t", "int16_t"):
        fail("%s: input is %s, expected int8_t or int16_t" % (case, act_type))
    act16 = act_type == "int16_t"
    # Upstream declares packed int4 weights as int8_t arrays whose values are
    # the bytes read as unsigned (0..255) or signed; only the byte matters.
    int4 = "int4" in case
    _, weights = arr("weights", ctype="int8_t")
    _, ref = arr("output_ref", "output", ctype=act_type)
    bias_type, bias = arr("biases", "bias")
    if bias is None:
        bias = [0] * out_ch
        bias_type = (pointer_types.get(case + "_biases") or
                     pointer_types.get(case + "_bias") or "int32_t")
    if bias_type not in (("int32_t", "int64_t") if act16 else ("int32_t",)):
        fail("%s: bias is %s" % (case, bias_type))
    if d("FILTER_OFFSET", 0) != 0:
        fail("%s: weight zero point is not supported" % case)

    params = {
        "kind": kind,
        "origin": "%s@%s Tests/UnitTest/TestCases/TestData/%s" % (
            UPSTREAM, COMMIT, case),
        "copied_from": "%s/%s" % (repo_folder, case),
    }
    if act16:
        # TFLite's 16x8 scheme is symmetric: both zero points must be 0.
        if d("INPUT_OFFSET") != 0 or d("OUTPUT_OFFSET") != 0:
            fail("%s: int16 activations with a zero point" % case)
        params.update({"act_bits": 16, "bias_bits": 64 if bias_type ==
                       "int64_t" else 32})
    else:
        params.update({"in_zp": -d("INPUT_OFFSET"),
                       "out_zp": d("OUTPUT_OFFSET")})
    params.update({"act_min": d("OUT_ACTIVATION_MIN"),
                   "act_max": d("OUT_ACTIVATION_MAX")})
    out_dir = os.path.join(dst, case)
    os.makedirs(out_dir, exist_ok=True)

    if kind == "fc":
        depth = d("ACCUMULATION_DEPTH")
        in_h, in_w = d("INPUT_H", 1), d("INPUT_W", 1)
        if in_h * in_w * in_ch == depth:
            in_shape = [batches, in_h, in_w, in_ch]
        else:
            in_shape = [batches, depth]
        w_shape = [out_ch, depth]
        out_shape = [batches, out_ch]
        _, mult = arr("output_mult", "output_multiplier", ctype="int32_t")
        _, shift = arr("output_shift", ctype="int32_t")
        if mult is None:
            mult = [d("OUTPUT_MULTIPLIER")] * out_ch
            shift = [d("OUTPUT_SHIFT")] * out_ch
    else:
        in_h, in_w = d("INPUT_H"), d("INPUT_W")
        fy, fx = d("FILTER_Y"), d("FILTER_X")
        sy, sx = d("STRIDE_Y"), d("STRIDE_X")
        dy, dx = d("DILATION_Y", 1), d("DILATION_X", 1)
        oh, ow = d("OUTPUT_H"), d("OUTPUT_W")
        pt, pl = d("PAD_Y"), d("PAD_X")
        # CMSIS gives only the leading padding; the trailing side is whatever
        # the output size implies (TFLite SAME puts the odd pixel there).
        pb = max(0, (oh - 1) * sy + dy * (fy - 1) + 1 - in_h - pt)
        pr = max(0, (ow - 1) * sx + dx * (fx - 1) + 1 - in_w - pl)
        if (conv_out(in_h, fy, sy, pt, pb, dy) != oh or
                conv_out(in_w, fx, sx, pl, pr, dx) != ow):
            fail("%s: padding %d/%d %d/%d does not give %dx%d" %
                 (case, pt, pb, pl, pr, oh, ow))
        in_shape = [batches, in_h, in_w, in_ch]
        out_shape = [batches, oh, ow, out_ch]
        if kind == "depthwise" and int4:
            # Packed as upstream's [1, H, W, C * ch_mult]; the test unpacks
            # and transposes.
            groups = in_ch
            w_shape = [1, fy, fx, out_ch]
        elif kind == "depthwise":
            # CMSIS keeps depthwise filters as [1, H, W, C * ch_mult];
            # sparq's grouped conv wants OHWI with I = 1.
            groups = in_ch
            w_shape = [out_ch, fy, fx, 1]
            weights = [weights[(y * fx + x) * out_ch + o]
                       for o in range(out_ch) for y in range(fy)
                       for x in range(fx)]
        elif int4:
            groups = 1
            w_shape = [out_ch, fy, fx, in_ch]
        else:
            filter_in = len(weights) // (out_ch * fy * fx)
            if filter_in == 0 or in_ch % filter_in:
                fail("%s: %d weights do not fit %d input channels" %
                     (case, len(weights), in_ch))
            groups = in_ch // filter_in
            w_shape = [out_ch, fy, fx, filter_in]
        _, mult = arr("output_mult", "output_multiplier", ctype="int32_t")
        _, shift = arr("output_shift", ctype="int32_t")
        params.update({
            "stride_h": sy, "stride_w": sx,
            "pad_top": pt, "pad_left": pl, "pad_bottom": pb, "pad_right": pr,
            "dilation_h": dy, "dilation_w": dx, "groups": groups,
        })

    write_npy(os.path.join(out_dir, "input.npy"), act_type, in_shape, inp)
    if int4:
        count = 1
        for dim in w_shape:
            count *= dim
        if len(weights) != (count + 1) // 2:
            fail("%s: %d packed bytes for %d int4 weights %s" %
                 (case, len(weights), count, w_shape))
        params["weight_bits"] = 4
        params["weight_shape"] = " ".join(str(dim) for dim in w_shape)
        write_npy(os.path.join(out_dir, "weights_int4.npy"), "uint8_t",
                  [len(weights)], [v & 0xFF for v in weights])
    else:
        write_npy(os.path.join(out_dir, "weights.npy"), "int8_t", w_shape,
                  weights)
    write_npy(os.path.join(out_dir, "bias.npy"), bias_type, [out_ch], bias)
    write_npy(os.path.join(out_dir, "multiplier.npy"), "int32_t", [out_ch],
              mult)
    write_npy(os.path.join(out_dir, "shift.npy"), "int32_t", [out_ch], shift)
    write_npy(os.path.join(out_dir, "output.npy"), act_type, out_shape, ref)
    with open(os.path.join(out_dir, "params.txt"), "w") as f:
        for key, value in params.items():
            f.write("%s %s\n" % (key, value))
    return kind


def main():
    if len(sys.argv) != 3:
        fail("usage: convert.py SRC DST")
    src, dst = sys.argv[1], sys.argv[2]
    for repo_folder, case in CASES:
        kind = convert(src, repo_folder, case, dst)
        print("%-28s %s" % (case, kind))


if __name__ == "__main__":
    main()
