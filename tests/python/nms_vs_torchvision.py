#!/usr/bin/env python3
"""Our NMS (GPU and CPU reference) against torchvision.ops.nms on the GPU.

Seeded cases of thousands of boxes crowded into clusters (so that most boxes
overlap others), class-aware and agnostic, several IoU and score thresholds,
max_det and max_candidates (the top-k before NMS, so that the GPU's radix
selection runs). For each case this writes boxes.npy / scores.npy /
classes.npy, runs `trtutils-nms-check` (tools/nms_check: the GPU
YoloPostprocessor and the CPU yolo_reference) and compares the kept anchor
indices, in order:

    GPU == CPU reference   (our contract: bit-exact, same float formulas)
    GPU == torchvision     (an independent implementation)

The torchvision side is what Ultralytics does: keep score > threshold, take
the best max_candidates by score, NMS, keep the first max_det. Class-aware
NMS is torchvision.ops.nms run per class and merged by score, which is how
torchvision.ops.batched_nms works for large inputs (_batched_nms_vanilla).
batched_nms itself is run too and its agreement reported, not asserted: for
small inputs it shifts each class's boxes by class * (max coordinate + 1),
which rounds the coordinates in float32 (by up to ~4e-3 px at 80 classes) and
can flip decisions whose IoU lies that close to the threshold.

Inputs avoid ties and knife edges, which no two implementations need to
agree on:
  - scores are continuous and distinct (duplicates are redrawn);
  - boxes go into the tool as corners and come out of its head encoding as
    cx -/+ w * 0.5f; the script uses the corners the tool decoded
    (decoded_boxes.npy, checked against the same float32 arithmetic here);
  - a pair of candidates whose IoU, in float64, lies within 1e-5 of the IoU
    threshold could go either way under float32 rounding that differs between
    implementations (torchvision's CUDA kernel may contract a*b+c into an
    FMA; ours is compiled with --fmad=false): the lower-scored box of each such
    pair is dropped from the case (its score set to -1) and the count printed.

Without torch (or without a GPU for it) the torchvision comparison cannot run:
with --numpy-reference the script instead checks the tool's CPU result against
a float32 NumPy transcription of the greedy NMS (a check of the tool and of
this script, not of the GPU), and says so.

    python3 tests/python/nms_vs_torchvision.py --tool .gpu/bin/trtutils-nms-check
            [--work DIR] [--cases N] [--numpy-reference]

Prints one line per case, then `nms-vs-torchvision: N passed, N failed`.
Exit status 0 when none failed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

IOU_MARGIN = 1e-5


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------
def case_options(k: int) -> dict:
    """The k-th case's parameters; cycles so that every value meets the others."""
    sizes = [3000, 8000, 1500, 5000, 2500, 6000]
    classes = [1, 3, 80, 5]
    ious = [0.45, 0.3, 0.5, 0.7, 0.65, 0.45, 0.55]
    score_thresholds = [0.25, 0.05, 0.5, 0.1]
    max_dets = [300, 100, 1000]
    max_candidates = [4096, 4096, 1000, 2048]
    return {
        "seed": 1000 + k,
        "n": sizes[k % len(sizes)],
        "classes": classes[k % len(classes)],
        "agnostic": k % 3 == 1,
        "iou": ious[k % len(ious)],
        "score_threshold": score_thresholds[k % len(score_thresholds)],
        "max_det": max_dets[k % len(max_dets)],
        "max_candidates": max_candidates[k % len(max_candidates)],
    }


def make_boxes(n: int, classes: int, seed: int):
    """Boxes crowded into about n / 150 clusters of a 640 x 640 field."""
    rng = np.random.default_rng(seed)
    clusters = max(1, n // 150)
    centres = rng.uniform(0.0, 640.0, size=(clusters, 2))
    sizes = rng.uniform(20.0, 120.0, size=(clusters, 2))
    which = rng.integers(0, clusters, size=n)
    centre = centres[which] + rng.normal(0.0, 12.0, size=(n, 2))
    size = sizes[which] * rng.uniform(0.7, 1.3, size=(n, 2))
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1).astype(np.float32)
    scores = rng.uniform(0.0, 1.0, size=n).astype(np.float32)
    while True:  # distinct scores: no ties to break
        _, first = np.unique(scores, return_index=True)
        if len(first) == n:
            break
        duplicate = np.setdiff1d(np.arange(n), first)
        scores[duplicate] = rng.uniform(0.0, 1.0, size=len(duplicate)).astype(np.float32)
    labels = rng.integers(0, classes, size=n).astype(np.int32)
    return boxes, scores, labels


def decode_like_the_tool(boxes: np.ndarray) -> np.ndarray:
    """cx = 0.5f * (x1 + x2), w = x2 - x1, then cx -/+ w * 0.5f, in float32
    (NumPy's float32 operations round each result as C++ does)."""
    half = np.float32(0.5)
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    cx, cy = half * (x1 + x2), half * (y1 + y2)
    w, h = x2 - x1, y2 - y1
    return np.stack([cx - w * half, cy - h * half, cx + w * half, cy + h * half], axis=1)


def ranked_candidates(scores: np.ndarray, opts: dict) -> np.ndarray:
    """Indices with score > threshold, best first, at most max_candidates."""
    idx = np.nonzero(scores > np.float32(opts["score_threshold"]))[0]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return idx[: opts["max_candidates"]]


def iou64(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU [len(a), len(b)] in float64."""
    a = a.astype(np.float64)[:, None, :]
    b = b.astype(np.float64)[None, :, :]
    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def drop_knife_edges(decoded, scores, labels, opts) -> int:
    """Sets to -1 the score of the lower-ranked box of every candidate pair
    whose float64 IoU is within IOU_MARGIN of the threshold (same class unless
    agnostic), until none is left. Returns how many boxes were dropped."""
    dropped = 0
    for _ in range(20):
        cand = ranked_candidates(scores, opts)
        victims = set()
        for start in range(0, len(cand), 512):
            rows = cand[start:start + 512]
            m = iou64(decoded[rows], decoded[cand])
            near = np.abs(m - opts["iou"]) < IOU_MARGIN
            if not opts["agnostic"]:
                near &= labels[rows][:, None] == labels[cand][None, :]
            for r, c in zip(*np.nonzero(near)):
                i, j = start + r, c  # positions in the ranking
                if i != j:
                    victims.add(int(cand[max(i, j)]))
        if not victims:
            return dropped
        scores[list(victims)] = np.float32(-1.0)
        dropped += len(victims)
    raise RuntimeError("knife-edge pairs keep appearing; change the case generator")


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------
def torchvision_keep(decoded, scores, labels, opts, device):
    import torch
    import torchvision

    cand = torch.from_numpy(ranked_candidates(scores, opts)).to(device)
    boxes = torch.from_numpy(decoded).to(device)[cand]
    s = torch.from_numpy(scores).to(device)[cand]
    c = torch.from_numpy(labels).to(device)[cand]
    if opts["agnostic"]:
        keep = torchvision.ops.nms(boxes, s, opts["iou"])
        batched = keep
    else:
        kept = [torch.nonzero(c == k).flatten()[torchvision.ops.nms(boxes[c == k], s[c == k],
                                                                   opts["iou"])]
                for k in torch.unique(c).tolist()]
        keep = torch.cat(kept)
        keep = keep[torch.argsort(s[keep], descending=True)]
        batched = torchvision.ops.batched_nms(boxes, s, c, opts["iou"])
    as_list = lambda k: cand[k[: opts["max_det"]]].cpu().tolist()  # noqa: E731
    return as_list(keep), as_list(batched)


def numpy_keep(decoded, scores, labels, opts):
    """Greedy NMS written with the float32 operations of detection.hpp's iou()."""
    cand = ranked_candidates(scores, opts)
    kept = []
    thr = np.float32(opts["iou"])
    for i in cand:
        if kept:
            k = np.array(kept)
            a, b = decoded[i], decoded[k]
            iw = np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0])
            ih = np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1])
            inter = iw * ih
            uni = ((a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])) - inter
            with np.errstate(divide="ignore", invalid="ignore"):
                over = (iw > 0) & (ih > 0) & (uni > 0) & (inter / uni > thr)
            if not opts["agnostic"]:
                over &= labels[k] == labels[i]
            if over.any():
                continue
        kept.append(int(i))
        if len(kept) == opts["max_det"]:
            break
    return kept


# ---------------------------------------------------------------------------
# The tool
# ---------------------------------------------------------------------------
def run_tool(tool, folder, opts):
    cmd = [tool, "--boxes", f"{folder}/boxes.npy", "--scores", f"{folder}/scores.npy",
           "--classes", f"{folder}/classes.npy", "--out", folder,
           "--iou", repr(opts["iou"]), "--score-threshold", repr(opts["score_threshold"]),
           "--max-det", str(opts["max_det"]), "--max-candidates", str(opts["max_candidates"])]
    if opts["agnostic"]:
        cmd.append("--agnostic")
    if opts.get("cpu_only"):
        cmd.append("--cpu-only")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    report = None
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            report = json.loads(line)
    load = lambda name: (np.load(f"{folder}/{name}").tolist()  # noqa: E731
                         if os.path.exists(f"{folder}/{name}") else None)
    return proc, report, load("cpu_keep.npy"), load("gpu_keep.npy")


def first_difference(a, b) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"position {i}: {x} vs {y}"
    return f"lengths {len(a)} vs {len(b)}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", required=True, help="path of trtutils-nms-check")
    ap.add_argument("--work", help="folder for the cases' files (default: a temporary one)")
    ap.add_argument("--cases", type=int, default=12)
    ap.add_argument("--numpy-reference", action="store_true",
                    help="no torch/GPU here: check the tool's CPU result against NumPy instead")
    ap.add_argument("--torch-device", default="cuda",
                    help="where torchvision runs (default cuda; cpu only to test this script)")
    args = ap.parse_args()

    device = None
    if not args.numpy_reference:
        try:
            import torch
            import torchvision
        except ImportError as e:
            print(f"nms-vs-torchvision: cannot import torch/torchvision ({e}); "
                  "run with the PyTorch interpreter, or --numpy-reference for the CPU-only check")
            print(f"nms-vs-torchvision: 0 passed, {args.cases} failed")
            return 1
        if args.torch_device.startswith("cuda") and not torch.cuda.is_available():
            print("nms-vs-torchvision: torch sees no CUDA device; this check needs the GPU machine")
            print(f"nms-vs-torchvision: 0 passed, {args.cases} failed")
            return 1
        device = torch.device(args.torch_device)
        where = (torch.cuda.get_device_name() if device.type == "cuda"
                 else "the CPU (--torch-device cpu: a test of this script, not the GPU proof)")
        print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
              f"torchvision on {where}", flush=True)
    else:
        print("nms-vs-torchvision: --numpy-reference: torchvision and the GPU are NOT used; "
              "the tool's CPU result is checked against a NumPy greedy NMS", flush=True)

    work = args.work or tempfile.mkdtemp(prefix="nms-vs-torchvision-")
    passed = failed = 0
    batched_agree = 0
    for k in range(args.cases):
        opts = case_options(k)
        # --torch-device cpu is for testing this script where there is no GPU.
        opts["cpu_only"] = args.numpy_reference or args.torch_device == "cpu"
        folder = os.path.join(work, f"case{k}")
        os.makedirs(folder, exist_ok=True)
        boxes, scores, labels = make_boxes(opts["n"], opts["classes"], opts["seed"])
        decoded = decode_like_the_tool(boxes)
        dropped = drop_knife_edges(decoded, scores, labels, opts)
        np.save(f"{folder}/boxes.npy", boxes)
        np.save(f"{folder}/scores.npy", scores)
        np.save(f"{folder}/classes.npy", labels)
        label = (f"case-{k}: {opts['n']} boxes, {opts['classes']} classes, "
                 f"{'agnostic' if opts['agnostic'] else 'class-aware'}, iou {opts['iou']}, "
                 f"score > {opts['score_threshold']}, max_det {opts['max_det']}, "
                 f"max_candidates {opts['max_candidates']}")
        problems = []
        proc, report, cpu, gpu = run_tool(args.tool, folder, opts)
        no_gpu_run = args.numpy_reference or opts["cpu_only"]
        expected_rc = 3 if no_gpu_run else 0
        if proc.returncode != expected_rc:
            problems.append(f"tool exit {proc.returncode} (expected {expected_rc}): "
                            f"{proc.stderr.strip()[-400:]}")
        tool_decoded = (np.load(f"{folder}/decoded_boxes.npy")
                        if os.path.exists(f"{folder}/decoded_boxes.npy") else None)
        if tool_decoded is None or not np.array_equal(tool_decoded, decoded):
            problems.append("decoded_boxes.npy differs from the float32 decoding here")
        candidates = len(ranked_candidates(scores, opts))
        if args.numpy_reference:
            reference = numpy_keep(decoded, scores, labels, opts)
            if cpu != reference:
                problems.append(f"CPU reference != NumPy ({first_difference(cpu or [], reference)})")
            summary = f"{candidates} candidates, kept {len(reference)}"
        else:
            reference, batched = torchvision_keep(decoded, scores, labels, opts, device)
            batched_agree += batched == reference
            if opts["cpu_only"]:
                if cpu != reference:
                    problems.append(f"CPU reference != torchvision "
                                    f"({first_difference(cpu or [], reference)})")
            elif gpu is None:
                problems.append("the tool wrote no gpu_keep.npy")
            else:
                if gpu != reference:
                    problems.append(f"GPU != torchvision ({first_difference(gpu, reference)})")
                if cpu != gpu:
                    problems.append(f"CPU reference != GPU ({first_difference(cpu or [], gpu)})")
            summary = (f"{candidates} candidates, kept {len(reference)}, batched_nms "
                       f"{'agrees' if batched == reference else 'differs (coordinate offsets)'}")
        # A case that suppresses nothing, or keeps nothing, proves little.
        if not reference or len(reference) >= candidates:
            problems.append(f"vacuous case: {candidates} candidates, {len(reference)} kept")
        summary += f", {dropped} knife-edge boxes dropped"
        if problems:
            failed += 1
            print(f"FAILED {label}: {summary}")
            for p in problems:
                print(f"    {p}")
        else:
            passed += 1
            print(f"ok     {label}: {summary}", flush=True)
    if not args.numpy_reference:
        print(f"torchvision.ops.batched_nms agreed in {batched_agree} of {args.cases} cases "
              "(reported, not asserted)")
    print(f"nms-vs-torchvision: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
