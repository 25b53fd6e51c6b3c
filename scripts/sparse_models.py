#!/usr/bin/env python3
"""Runs pruned models on each compute engine and prints the table of
docs/compression.md, "Pruned models on the sparse engine (RTL)".

For each model folder written by `sparq compress` (model.yaml, weights/,
input.npy) and each engine given, writes a copy of model.yaml beside it with
`engine: <e>` on every conv and fc layer (`auto` leaves the compiler's
choice), runs `sparq run COPY --backend BACKEND --dram-latency L --json`,
removes the copy and prints one Markdown row per layer and model: the
density of its weights, its cycles on each engine and which engine `auto`
took. A run that does not pass (a mismatch, or exit 2 for an engine a layer
cannot use) is printed as such; the script then exits 1.

Usage: sparse_models.py --sparq build/sim/sparq [--backend both]
           [--dram-latency 20] [--engines dense,sparse,nm24,auto] MODEL_DIR...
"""

import argparse
import json
import os
import re
import subprocess
import sys
import ast
import struct
import tempfile


def with_engine(text, engine):
    """model.yaml with `engine: <engine>` after every conv / fc `type:`."""
    if engine == "auto":
        return text
    out = []
    for line in text.splitlines(keepends=True):
        out.append(line)
        m = re.match(r"^(\s+)type: (conv|fc)\s*$", line)
        if m:
            out.append(f"{m.group(1)}engine: {engine}\n")
    return "".join(out)


def run(args, model_dir, engine):
    """(status text, layers of the JSON report or None)."""
    src = os.path.join(model_dir, "model.yaml")
    with open(src) as f:
        text = f.read()
    fd, copy = tempfile.mkstemp(prefix=f".engine_{engine}_", suffix=".yaml",
                                dir=model_dir)
    with os.fdopen(fd, "w") as f:
        f.write(with_engine(text, engine))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        try:
            p = subprocess.run(
                [args.sparq, "run", copy, "--backend", args.backend,
                 "--dram-latency", str(args.dram_latency), "--json", out],
                capture_output=True, text=True)
        finally:
            os.remove(copy)
        if p.returncode != 0:
            lines = (p.stderr.strip() or p.stdout.strip()).splitlines()
            return f"exit {p.returncode}: {lines[-1] if lines else ''}", None
        with open(out) as f:
            report = json.load(f)
    if report["status"] != "pass":
        return "mismatch", None
    return "pass", report["layers"]


def density(model_dir, layer):
    """Non-zero fraction of the layer's int8 weights (from its .npy), or
    None for another dtype or a missing file."""
    path = os.path.join(model_dir, "weights", f"{layer}.weights.npy")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        return None
    if data[6] == 1:
        hlen, start = struct.unpack("<H", data[8:10])[0], 10
    else:
        hlen, start = struct.unpack("<I", data[8:12])[0], 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    if header["descr"] not in ("|i1", "<i1", "i1"):
        return None
    body = data[start + hlen:]
    return float(sum(1 for b in body if b != 0)) / len(body)


def cycles(layer, backend):
    """The layer's cycles on the RTL when it ran, else the machine model."""
    b = layer["backends"]
    return (b.get("rtl") or b.get("golden"))["cycles"]


def engine_of(layer):
    """Which engine ran the layer (the report's unit)."""
    return {"array": "dense", "array 2:4": "nm24"}.get(layer["unit"],
                                                      layer["unit"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sparq", required=True)
    ap.add_argument("--backend", default="both")
    ap.add_argument("--dram-latency", type=int, default=20)
    ap.add_argument("--engines", default="dense,sparse,nm24,auto")
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    engines = args.engines.split(",")
    ok = True
    print("| model | layer | density | " +
          " | ".join(f"{e} cycles" for e in engines) + " |")
    print("|---|---|---|" + "---|" * len(engines))
    for model_dir in args.models:
        name = os.path.basename(os.path.normpath(model_dir))
        results = {}
        for e in engines:
            status, layers = run(args, model_dir, e)
            results[e] = (status, layers)
            if status != "pass":
                print(f"{name}: engine {e}: {status}", file=sys.stderr)
                if not status.startswith("exit 2"):
                    ok = False
        ref = next((l for s, l in results.values() if l), None)
        if ref is None:
            continue
        totals = {e: 0 for e in engines}
        for i, layer in enumerate(ref):
            if layer["type"] not in ("conv", "fc"):
                continue
            d = density(model_dir, layer["name"])
            cells = []
            for e in engines:
                status, layers = results[e]
                if layers is None:
                    cells.append("refused" if status.startswith("exit 2")
                                 else status)
                    continue
                c = cycles(layers[i], args.backend)
                totals[e] += c
                cell = f"{c:,}"
                if e == "auto":
                    cell += f" ({engine_of(layers[i])})"
                cells.append(cell)
            dens = f"{100 * d:.1f} %" if d is not None else "-"
            print(f"| {name} | {layer['name']} | {dens} | " +
                  " | ".join(cells) + " |")
        print(f"| {name} | network | | " +
              " | ".join(f"{totals[e]:,}" if results[e][1] else "-"
                         for e in engines) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
