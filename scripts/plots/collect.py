#!/usr/bin/env python3
"""Measures the compressed Fashion-MNIST models in their precision modes.

For each recipe folder written by `sparq compress` (BUILD/compress/<recipe>/:
model.yaml, model_a8w8.yaml when a layer is narrow, report.md), runs
`sparq run` on the RTL (the array of the YAML, 16x16 by default) for
model.yaml and for its a8w8 form, and writes one line per recipe:

  recipe int_acc_pct int_bytes macs mode_cycles a8w8_cycles mode_dram
  a8w8_dram speedup theoretical modes source

int_acc / int_bytes / macs come from the last row of report.md (the
exported integer model). mode_cycles is '-' when the RTL does not run the
model's precision (sparq run exits 2). theoretical = the int8 model's
layer MACs over sum(MACs / lanes), the lanes of each layer's mode (A8W4 2,
A8W2 4, A4W4 2, A1W1 8): the speedup if every layer ran at its mode's peak.

Usage: collect.py --sparq build/sim/sparq --models build/compress [MORE...]
                  --out docs/plots/compression.dat RECIPE...
(source = the folder the recipe's model came from)
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

LANES = {"a8w8": 1, "a8w4": 2, "a8w2": 4, "a4w4": 2, "a1w1": 8, "a16w8": 1}


def last_report_row(path):
    """(int acc %, int bytes, MACs) of the final step in report.md."""
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("| ") and "%" in line and not line.startswith("| step"):
                rows.append([c.strip() for c in line.strip().strip("|").split("|")])
            elif rows and not line.startswith("|"):
                break
    if not rows:
        sys.exit(f"{path}: no report table")
    r = rows[-1]
    num = lambda s: int(s.split()[0])
    acc = r[7].rstrip("%")
    if acc == "-":
        sys.exit(f"{path}: the last step has no integer accuracy")
    return float(acc), num(r[5]), num(r[2])


def run(sparq, yaml):
    """(status, JSON report) of `sparq run YAML --backend rtl`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        p = subprocess.run([sparq, "run", yaml, "--backend", "rtl", "--json", out],
                           capture_output=True, text=True)
        if p.returncode == 2:
            return "refused: " + p.stderr.strip().splitlines()[-1], None
        if p.returncode != 0:
            sys.exit(f"{yaml}: sparq run exited {p.returncode}\n{p.stdout}\n{p.stderr}")
        with open(out) as f:
            return "pass", json.load(f)


def totals(report):
    layers = [l for l in report["layers"] if not l["host"]]
    cycles = sum(l["backends"]["rtl"]["cycles"] for l in layers)
    dram = sum(l["dram_bytes"] for l in layers)
    return cycles, dram, layers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sparq", required=True)
    ap.add_argument("--models", required=True, nargs="+",
                    help="folders holding <recipe>/; the first that has it wins")
    ap.add_argument("--out", required=True)
    ap.add_argument("recipes", nargs="+")
    a = ap.parse_args()
    lines = ["# recipe int_acc_pct int_bytes macs mode_cycles a8w8_cycles "
             "mode_dram a8w8_dram speedup theoretical modes source"]
    for r in a.recipes:
        found = [m for m in a.models if os.path.exists(os.path.join(m, r, "report.md"))]
        if not found:
            sys.exit(f"{r}: no {r}/report.md under {' '.join(a.models)} "
                     f"(make compress RECIPE=models/recipes/{r}.yaml)")
        d = os.path.join(found[0], r)
        acc, int_bytes, macs = last_report_row(os.path.join(d, "report.md"))
        status, mode = run(a.sparq, os.path.join(d, "model.yaml"))
        int8_yaml = os.path.join(d, "model_a8w8.yaml")
        if os.path.exists(int8_yaml):
            s8, base = run(a.sparq, int8_yaml)
            if base is None:
                sys.exit(f"{int8_yaml}: {s8}")
        else:
            base = mode  # every layer is a8w8 already
        c8, d8, layers8 = totals(base)
        modes = []
        if mode is not None:
            cm, dm, layers = totals(mode)
            modes = [l["mode"] for l in layers]
            speed = f"{c8 / cm:.3f}"
            cm, dm = str(cm), str(dm)
        else:
            cm = dm = speed = "-"
            # The precisions model.yaml asks for, from its text.
            with open(os.path.join(d, "model.yaml")) as f:
                asked = re.findall(r"^\s+precision: (\w+)", f.read(), re.M)
            modes = ["(" + " ".join(sorted(set(asked))) + " refused)"]
        # Theoretical: each accelerator layer at its mode's lanes.
        with open(os.path.join(d, "model.yaml")) as f:
            text = f.read()
        per_layer = {}
        for block in text.split("\n  - name: ")[1:]:
            name = block.split("\n", 1)[0].strip()
            m = re.search(r"^\s+precision: (\w+)", block, re.M)
            per_layer[name] = m.group(1) if m else "a8w8"
        ideal = sum(l["macs"] / LANES[per_layer.get(l["name"], "a8w8")]
                    for l in layers8)
        total = sum(l["macs"] for l in layers8)
        theo = f"{total / ideal:.3f}" if ideal else "-"
        mode_list = ",".join(sorted(set(modes))) if mode is not None else modes[0].replace(" ", ",")
        lines.append(f"{r} {acc:.2f} {int_bytes} {macs} {cm} {c8} {dm} {d8} "
                     f"{speed} {theo} {mode_list} {d}")
        print(lines[-1], flush=True)
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
