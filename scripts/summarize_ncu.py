#!/usr/bin/env python3
"""Kernel time by kernel name from `ncu --csv --metrics gpu__time_duration.sum`
output, for our engine and PyTorch side by side (scripts/profile-kernels.sh)."""
import argparse
import collections
import csv
import io
import re


def read(path):
    """[(kernel name, ns)] from an ncu CSV (lines before the header are skipped)."""
    with open(path, errors="replace") as f:
        text = f.read()
    start = text.find('"ID"')
    if start < 0:
        return []
    rows = []
    for row in csv.DictReader(io.StringIO(text[start:])):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        try:
            value = float(row["Metric Value"].replace(",", ""))
        except ValueError:
            continue
        rows.append((row["Kernel Name"], value))
    return rows


def short(name):
    name = re.sub(r"\(.*$", "", name)  # parameter list
    name = re.sub(r"<.*>", "<>", name)
    return name[:90]


def table(title, rows, top):
    total = sum(ns for _, ns in rows)
    groups = collections.defaultdict(lambda: [0, 0.0])
    for name, ns in rows:
        g = groups[short(name)]
        g[0] += 1
        g[1] += ns
    out = [f"### {title}: {len(rows)} kernels, {total / 1e3:.1f} us of kernel time", "",
           "| kernel | launches | us | share |", "|---|---:|---:|---:|"]
    for name, (count, ns) in sorted(groups.items(), key=lambda kv: -kv[1][1])[:top]:
        out.append(f"| `{name}` | {count} | {ns / 1e3:.1f} | {100 * ns / max(total, 1):.1f}% |")
    return "\n".join(out), total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--title", required=True)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--torch", required=True)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    ours_text, ours_total = table("ours (trtutils bench, one run)", read(args.ours), args.top)
    torch_text, torch_total = table("PyTorch eager fp16 (one forward)", read(args.torch), args.top)
    print(f"## Kernel profile: {args.title}\n")
    print(f"Sum of kernel times (serialised by ncu, no launch gaps): ours {ours_total / 1e3:.1f} us, "
          f"PyTorch {torch_total / 1e3:.1f} us, ratio {ours_total / max(torch_total, 1):.2f}\n")
    print(ours_text + "\n\n" + torch_text)


if __name__ == "__main__":
    main()
