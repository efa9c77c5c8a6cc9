#!/usr/bin/env python3
"""End to end: `trtutils detect` against the same model and pipeline in PyTorch.

1. Exports the YOLOv8-style model of bench/models/export_models.py (random,
   seeded weights; batch 1; [1, 84, 8400] head) to ONNX, with its class
   logits divided by 128 (see CLASS_LOGIT_SCALE: unscaled, most scores are
   exactly 1.0 and their order is rounding noise).
2. Draws a deterministic, non-square test image (997 x 743: coloured shapes
   on a gradient, with noise) and saves it as PNG.
3. PyTorch pipeline, fp32 on the GPU (TF32 off):
   - the letterbox exactly as include/trtutils/image/preprocess.hpp documents
     it (Ultralytics geometry, half-pixel bilinear with border clamp, three
     fmaf lerps, pad 114, RGB, * 1/255), transcribed below in NumPy float32
     with an exactly rounded fmaf. This transcription is itself checked bit for
     bit against the C++ CPU reference and the GPU kernel
     (trtutils-preprocess-check) on the test image and on awkward sizes;
   - the model;
   - decode [1, 84, 8400]: best class, score > conf, corners cx -/+ w * 0.5,
     the best 4096 candidates (max_candidates), torchvision.ops.batched_nms at
     IoU 0.45, the first 300 (max_det);
   - boxes mapped back with (x - pad) / ratio, clipped to the image.
4. `trtutils detect model.onnx image.png --json --conf C --iou 0.45` (an fp32
   build), and asserts: the same number of detections, the same classes, boxes
   within 1 px, scores within 1e-3, matched greedily by IoU.
5. The same with --fp16, reported (not asserted).

Choosing conf: with random weights every anchor's best class scores above
0.5, so a fixed 0.25 would leave hundreds of boxes. The script picks conf from
the PyTorch scores so that a few tens (>= 30) of detections survive NMS, and
places it in the widest gap between neighbouring candidate scores there, so
that no score lies close to it (the distance is printed).

Allowed differences (the engine's fp32 output differs from PyTorch's by ~1e-6
relative, so decisions that sit on a knife edge may go either way, and no two
implementations need to agree on them). A detection found by one side only
is accepted, and listed, when
  - its score is within 1e-4 of conf (it may sit on either side), or
  - its IoU with a better detection of the same class, on its own side, is
    within 1e-3 of the NMS threshold (the suppression could flip), or
  - (PyTorch side) its two best class scores are within 1e-4 (argmax could flip).
Anything else unmatched fails. With the conf placed in a gap, expect none.

    python3 tests/python/yolo_end_to_end.py --trtutils .gpu/bin/trtutils
            [--preprocess-check .gpu/bin/trtutils-preprocess-check] [--work DIR]
            [--conf C] [--no-fp16]
    python3 tests/python/yolo_end_to_end.py --letterbox-only
            --preprocess-check build/tools/preprocess_check/trtutils-preprocess-check
        (no torch needed: only the NumPy letterbox vs the C++ reference)

Prints `yolo-end-to-end: PASS ...` or `yolo-end-to-end: FAIL ...` last; exit 0
on PASS.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

INPUT_SIZE = 640
IOU = 0.45
MAX_DET = 300
MAX_CANDIDATES = 4096
PAD = 114.0
BORDERLINE_SCORE = 1e-4
BORDERLINE_IOU = 1e-3
# export_models.py's random yolov8n_style gives class logits of std ~40 on the
# test image: ~70% of the anchors score exactly 1.0 in float32 and most others
# lie within a few ulps of it, so their order (hence NMS) would be decided by
# rounding noise in both programs. The class branches' last conv (weights and
# bias) is divided by 128 (a power of two, so exactly) before export: the same
# graph, logits of std ~0.35 with a long tail, best scores spread over ~0.5-0.95.
CLASS_LOGIT_SCALE = 1.0 / 128.0

F32 = np.float32


# ---------------------------------------------------------------------------
# The documented letterbox, in NumPy (no torch needed)
# ---------------------------------------------------------------------------
def lround(x: float) -> int:
    """C's lround: half away from zero (Python's round is half to even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def letterbox_geometry(sw: int, sh: int, out_w: int = INPUT_SIZE, out_h: int = INPUT_SIZE):
    """compute_transform() for kLetterbox: ratio, resized size, pads."""
    r = min(out_w / sw, out_h / sh)
    rw = min(max(lround(sw * r), 1), out_w)
    rh = min(max(lround(sh * r), 1), out_h)
    left = max(lround((out_w - rw) / 2.0 - 0.1), 0)
    top = max(lround((out_h - rh) / 2.0 - 0.1), 0)
    return {"r": r, "rw": rw, "rh": rh, "left": left, "top": top}


def fmaf(a, b, c):
    """fmaf(a, b, c) on float32 arrays with a single rounding. a * b is exact
    in float64 (24 + 24 bits); the float64 sum s may be rounded, and rounding s
    again to float32 differs from one rounding only when s falls exactly on a
    float32 midpoint: then the TwoSum error e decides the side."""
    a, b, c = (np.asarray(v, dtype=F32) for v in (a, b, c))
    p = a.astype(np.float64) * b.astype(np.float64)
    c64 = c.astype(np.float64)
    s = p + c64
    bv = s - p
    e = (p - (s - bv)) + (c64 - bv)
    r = s.astype(F32)
    r64 = r.astype(np.float64)
    other = np.nextafter(r, np.where(s > r64, F32(np.inf), F32(-np.inf))).astype(F32)
    midpoint = (s != r64) & (s - r64 == other.astype(np.float64) - s)
    toward_other = midpoint & (e != 0) & ((other.astype(np.float64) - s) * e > 0)
    return np.where(toward_other, other, r).astype(F32)


def taps(resized: int, scale: np.float32, size: int):
    """Per output index: lower tap, upper tap, weight (preprocess.cpp's tap())."""
    d = np.arange(resized, dtype=np.int64)
    f = (d.astype(F32) + F32(0.5)) * scale - F32(0.5)
    fl = np.floor(f).astype(F32)
    lo = fl.astype(np.int64)
    w = (f - fl).astype(F32)
    w = np.where(lo < 0, F32(0), w)
    lo = np.where(lo < 0, 0, lo)
    w = np.where(lo >= size - 1, F32(0), w)
    lo = np.where(lo >= size - 1, size - 1, lo)
    hi = np.minimum(lo + 1, size - 1)
    return lo, hi, w.astype(F32)


def letterbox(image: np.ndarray, out_w: int = INPUT_SIZE, out_h: int = INPUT_SIZE,
              pad: float = PAD, scale: float = 1.0 / 255.0):
    """uint8 RGB [H, W, 3] -> float32 [1, 3, out_h, out_w] (RGB, * scale), and the geometry."""
    sh, sw = image.shape[:2]
    g = letterbox_geometry(sw, sh, out_w, out_h)
    scale_x = F32(sw / g["rw"])
    scale_y = F32(sh / g["rh"])
    x0, x1, ax = taps(g["rw"], scale_x, sw)
    y0, y1, ay = taps(g["rh"], scale_y, sh)
    img = image.astype(F32)
    p00 = img[y0][:, x0]
    p01 = img[y0][:, x1]
    p10 = img[y1][:, x0]
    p11 = img[y1][:, x1]
    axb = ax[None, :, None]
    ayb = ay[:, None, None]
    top = fmaf(axb, p01 - p00, p00)
    bot = fmaf(axb, p11 - p10, p10)
    v = fmaf(ayb, bot - top, top)
    canvas = np.full((out_h, out_w, 3), F32(pad), dtype=F32)
    canvas[g["top"]:g["top"] + g["rh"], g["left"]:g["left"] + g["rw"]] = v
    mul = F32(float(scale) / 1.0)  # normalisation_of(): scale / std in double, then float
    add = F32(-0.0 / 1.0)
    out = fmaf(canvas, mul, add)
    return out.transpose(2, 0, 1)[None].copy(), g


# ---------------------------------------------------------------------------
# The test image
# ---------------------------------------------------------------------------
def make_test_image(width: int = 997, height: int = 743, seed: int = 7) -> np.ndarray:
    """Gradient background, filled rectangles, discs and triangles in strong
    colours, and Gaussian noise; uint8 RGB [height, width, 3]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.stack([60 + 120 * xx / width, 80 + 100 * yy / height,
                    160 - 80 * (xx + yy) / (width + height)], axis=-1)
    for _ in range(14):
        colour = rng.uniform(0, 255, size=3)
        kind = rng.integers(0, 3)
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        size = rng.uniform(30, 260)
        if kind == 0:
            aspect = rng.uniform(0.3, 3.0)
            mask = (np.abs(xx - cx) < size * aspect / 2) & (np.abs(yy - cy) < size / 2)
        elif kind == 1:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 < (size / 2) ** 2
        else:
            mask = (yy - cy > -size / 2) & (yy - cy < size / 2) & \
                   (np.abs(xx - cx) < (yy - cy + size / 2) / 2)
        img[mask] = colour
    img += rng.normal(0, 12, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def save_png(image: np.ndarray, path: str):
    from PIL import Image
    Image.fromarray(image, "RGB").save(path)
    back = np.asarray(Image.open(path).convert("RGB"))
    assert np.array_equal(back, image), "PNG round trip changed pixels"


# ---------------------------------------------------------------------------
# NumPy letterbox vs the C++ reference / GPU kernel
# ---------------------------------------------------------------------------
def check_letterbox(tool: str, work: str, image: np.ndarray, name: str):
    """Returns (ok, message): NumPy letterbox == C++ CPU reference (== GPU when
    the tool ran it), bit for bit."""
    folder = os.path.join(work, f"letterbox-{name}")
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "image.npy"), image)
    try:
        proc = subprocess.run([tool, "--image", os.path.join(folder, "image.npy"), "--out", folder,
                               "--format", "rgb8"], capture_output=True, text=True, timeout=120)
    except OSError as e:
        return False, f"{name}: cannot run trtutils-preprocess-check: {e}"
    if proc.returncode not in (0, 3):
        return False, f"{name}: trtutils-preprocess-check exit {proc.returncode}: {proc.stderr.strip()}"
    ours, _ = letterbox(image)
    cpu = np.load(os.path.join(folder, "cpu.npy"))
    parts = []
    ok = True
    if cpu.shape != ours.shape or not np.array_equal(cpu.view(np.uint32), ours.view(np.uint32)):
        ok = False
        diff = (np.abs(cpu.astype(np.float64) - ours) if cpu.shape == ours.shape
                else np.array([np.inf]))
        parts.append(f"NumPy != C++ reference ({int((diff > 0).sum())} elements, max {diff.max():.3g})")
    else:
        parts.append("NumPy == C++ reference")
    gpu_path = os.path.join(folder, "gpu.npy")
    if proc.returncode == 0 and os.path.exists(gpu_path):
        gpu = np.load(gpu_path)
        if np.array_equal(gpu.view(np.uint32), ours.view(np.uint32)):
            parts.append("== GPU kernel")
        else:
            ok = False
            parts.append("!= GPU kernel")
    else:
        parts.append("(GPU not run)")
    h, w = image.shape[:2]
    return ok, f"letterbox {w}x{h}: " + " ".join(parts) + " (bit for bit)"


def letterbox_images():
    rng = np.random.default_rng(3)
    sizes = [(1, 1), (2000, 1), (1, 2000), (37, 641), (1919, 1081)]
    return {f"{w}x{h}": rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for w, h in sizes}


# ---------------------------------------------------------------------------
# PyTorch pipeline
# ---------------------------------------------------------------------------
def export_model(work: str, export_script_dir: str, device: str):
    sys.path.insert(0, export_script_dir)
    import torch
    from export_models import export_onnx, make_model  # noqa: E402

    model, _ = make_model("yolov8n_style", device)
    with torch.no_grad():  # see CLASS_LOGIT_SCALE
        for branch in model.head.cls:
            branch[-1].weight.mul_(CLASS_LOGIT_SCALE)
            branch[-1].bias.mul_(CLASS_LOGIT_SCALE)
    path = os.path.join(work, "yolov8n_style.onnx")
    x = torch.randn((1, 3, INPUT_SIZE, INPUT_SIZE), generator=torch.Generator().manual_seed(2))
    info = export_onnx(model, x, path)
    return model, path, info


def torch_candidates(head):
    """[84, N] head -> (corners [N, 4], score [N], class [N], second-best score [N])."""
    import torch
    boxes, classes = head[:4].T, head[4:].T
    top2 = torch.topk(classes, 2, dim=1)
    score = top2.values[:, 0]
    cls = torch.argmax(classes, dim=1)
    cx, cy, w, h = boxes.unbind(1)
    half = torch.tensor(0.5, dtype=torch.float32, device=head.device)
    corners = torch.stack([cx - w * half, cy - h * half, cx + w * half, cy + h * half], dim=1)
    return corners, score, cls, top2.values[:, 1]


def torch_detect(cands, conf: float, geometry: dict, width: int, height: int):
    """score > conf, best MAX_CANDIDATES, batched_nms, first MAX_DET, mapped back.
    Candidates are ranked by score, ties by lower anchor (detection.hpp's order;
    argsort is stable over ascending anchors), and batched_nms is handed the rank
    as its score, so that its own sort cannot reorder ties."""
    import torch
    import torchvision
    corners, score, cls, second = cands
    idx = torch.nonzero(score > conf).flatten()
    idx = idx[torch.argsort(score[idx], descending=True, stable=True)][:MAX_CANDIDATES]
    rank = torch.arange(len(idx), 0, -1, dtype=torch.float32, device=idx.device)
    keep = torchvision.ops.batched_nms(corners[idx], rank, cls[idx], IOU)[:MAX_DET]
    chosen = idx[keep]
    model_boxes = corners[chosen].double().cpu().numpy()
    r, left, top = geometry["r"], geometry["left"], geometry["top"]
    image_boxes = np.empty_like(model_boxes)
    image_boxes[:, [0, 2]] = np.clip((model_boxes[:, [0, 2]] - left) / r, 0, width)
    image_boxes[:, [1, 3]] = np.clip((model_boxes[:, [1, 3]] - top) / r, 0, height)
    return [{"class_id": int(c), "score": float(s), "box": b.tolist(), "anchor": int(a),
             "second": float(t), "model_box": m.tolist()}
            for c, s, b, a, t, m in zip(cls[chosen].tolist(), score[chosen].tolist(), image_boxes,
                                        chosen.tolist(), second[chosen].tolist(), model_boxes)], \
        int(len(idx))


def choose_conf(cands, geometry, width, height):
    """A conf that leaves a few tens of detections, in the widest gap between
    neighbouring candidate scores near there."""
    import torch
    scores = torch.sort(cands[1], descending=True).values.double().cpu().numpy()
    for k in [25, 50, 100, 200, 400, 800, 1600, 3200, 6400]:
        k = min(k, len(scores) - 2)
        window = np.arange(k, min(int(k * 1.5) + 2, len(scores) - 1))
        gaps = scores[window] - scores[window + 1]
        best = window[int(np.argmax(gaps))]
        conf = float((scores[best] + scores[best + 1]) / 2)
        detections, _ = torch_detect(cands, conf, geometry, width, height)
        if len(detections) >= 30 or k == len(scores) - 2:
            distance = float(np.min(np.abs(scores - conf)))
            return conf, distance
    raise RuntimeError("unreachable")


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------
def iou(a, b) -> float:
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def corner_distance(a, b) -> float:
    return max(abs(x - y) for x, y in zip(a, b))


def match(reference, ours):
    """Greedy: each reference detection (best first) takes the unmatched one of
    ours of the same class with the highest IoU (at least 0.5). Boxes clipped
    to a line at the image border have no area (IoU 0): those match by the
    nearest corners instead (within 8 px)."""
    pairs, used = [], set()
    for r in sorted(range(len(reference)), key=lambda j: -reference[j]["score"]):
        best, best_key = None, None
        for j, o in enumerate(ours):
            if j in used or o["class_id"] != reference[r]["class_id"]:
                continue
            v = iou(reference[r]["box"], o["box"])
            d = corner_distance(reference[r]["box"], o["box"])
            if v < 0.5 and d > 8.0:
                continue
            key = (v, -d)
            if best_key is None or key > best_key:
                best, best_key = j, key
        if best is not None:
            used.add(best)
            pairs.append((r, best))
    matched_ref = {r for r, _ in pairs}
    return pairs, [r for r in range(len(reference)) if r not in matched_ref], \
        [j for j in range(len(ours)) if j not in used]


def knife_edge_nms(det, same_side) -> bool:
    key = "model_box" if "model_box" in det else "box"
    for other in same_side:
        if other is det or other["class_id"] != det["class_id"] or other["score"] <= det["score"]:
            continue
        if abs(iou(other[key], det[key]) - IOU) < BORDERLINE_IOU:
            return True
    return False


def explain(det, same_side, conf, torch_side: bool):
    if abs(det["score"] - conf) < BORDERLINE_SCORE:
        return f"score {det['score']:.6f} within {BORDERLINE_SCORE} of conf"
    if knife_edge_nms(det, same_side):
        return f"IoU with a better same-class box within {BORDERLINE_IOU} of {IOU}"
    if torch_side and det["score"] - det["second"] < BORDERLINE_SCORE:
        return "two best class scores within 1e-4"
    return None


def compare(reference, ours, conf, box_tol=1.0, score_tol=1e-3):
    """Returns (ok, lines, matched_within_tolerance)."""
    pairs, ref_only, ours_only = match(reference, ours)
    lines, ok, good = [], True, 0
    for r, o in pairs:
        a, b = reference[r], ours[o]
        box_err = corner_distance(a["box"], b["box"])
        score_err = abs(a["score"] - b["score"])
        if box_err <= box_tol and score_err <= score_tol:
            good += 1
        else:
            ok = False
            lines.append(f"class {a['class_id']} score {a['score']:.5f}: box off by {box_err:.3f} px, "
                         f"score by {score_err:.2e}")
    for side, items, same in (("PyTorch only", ref_only, reference), ("trtutils only", ours_only, ours)):
        for i in items:
            d = same[i]
            why = explain(d, same, conf, side == "PyTorch only")
            if why is None:
                ok = False
            lines.append(f"{side}: class {d['class_id']} score {d['score']:.6f} box "
                         f"{[round(v, 1) for v in d['box']]}: "
                         + (f"allowed ({why})" if why else "NOT explained"))
    return ok, lines, good, len(pairs)


def run_detect(trtutils: str, model: str, image: str, conf: float, fp16: bool):
    cmd = [trtutils, "detect", model, image, "--json", "--conf", repr(conf), "--iou", repr(IOU)]
    if fp16:
        cmd.append("--fp16")
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    seconds = time.time() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exit {proc.returncode}: {proc.stderr.strip()[-800:]}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise RuntimeError(f"`trtutils detect --json` printed no JSON document ({e}): "
                           f"{proc.stdout[:400]!r}") from e
    images = report.get("images") or []
    if len(images) != 1:
        raise RuntimeError(f"expected one image in the report, got {len(images)}")
    if report.get("head") != "yolo_raw":
        raise RuntimeError(f"expected head yolo_raw, got {report.get('head')!r}")
    return images[0]["detections"], images[0], seconds


# ---------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trtutils", help="the trtutils CLI (with the detect subcommand)")
    ap.add_argument("--preprocess-check", help="trtutils-preprocess-check (checks the NumPy letterbox)")
    ap.add_argument("--export-script-dir",
                    default=None, help="folder of export_models.py (default: beside this script, "
                    "else bench/models of the repository)")
    ap.add_argument("--work", help="working folder (default: a temporary one)")
    ap.add_argument("--conf", type=float, help="confidence threshold (default: chosen, see above)")
    ap.add_argument("--no-fp16", action="store_true", help="skip the fp16 report")
    ap.add_argument("--torch-device", default="cuda",
                    help="where the PyTorch pipeline runs (default cuda; cpu only to test this script)")
    ap.add_argument("--letterbox-only", action="store_true",
                    help="only the NumPy letterbox vs the C++ reference (no torch needed)")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="yolo-end-to-end-")
    os.makedirs(work, exist_ok=True)
    failures = []

    image = make_test_image()
    height, width = image.shape[:2]
    if args.preprocess_check:
        for name, img in [("test-image", image)] + list(letterbox_images().items()):
            ok, message = check_letterbox(args.preprocess_check, work, img, name)
            print(("ok     " if ok else "FAILED ") + message, flush=True)
            if not ok:
                failures.append(message)
    elif args.letterbox_only:
        print("yolo-end-to-end: FAIL --letterbox-only needs --preprocess-check")
        return 1
    else:
        print("letterbox transcription NOT checked against the C++ reference (no --preprocess-check)")
    if args.letterbox_only:
        print("yolo-end-to-end (letterbox only, no model run): "
              + ("PASS" if not failures else f"FAIL {len(failures)} letterbox checks"))
        return 0 if not failures else 1

    if not args.trtutils:
        print("yolo-end-to-end: FAIL --trtutils is required")
        return 1
    try:
        import torch
    except ImportError as e:
        print(f"yolo-end-to-end: FAIL cannot import torch ({e}); use the PyTorch interpreter")
        return 1
    device = args.torch_device
    if device.startswith("cuda") and not torch.cuda.is_available():
        print("yolo-end-to-end: FAIL torch sees no CUDA device; this check runs on the GPU machine")
        return 1
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    here = os.path.dirname(os.path.abspath(__file__))
    script_dir = args.export_script_dir or next(
        (d for d in (here, os.path.join(here, "..", "..", "bench", "models"))
         if os.path.exists(os.path.join(d, "export_models.py"))), here)

    png = os.path.join(work, "image.png")
    save_png(image, png)
    model, onnx_path, info = export_model(work, script_dir, device)
    print(f"exported yolov8n_style ({info.get('exporter')}, opset {info.get('opset')}) to {onnx_path}; "
          f"image {width}x{height} -> {png}", flush=True)

    tensor, geometry = letterbox(image)
    with torch.no_grad():
        net = model.float().to(device).eval()
        head = net(torch.from_numpy(tensor).to(device))[0]
    cands = torch_candidates(head)
    conf = args.conf
    if conf is None:
        conf, distance = choose_conf(cands, geometry, width, height)
        print(f"conf {conf:.7f} chosen; nearest candidate score is {distance:.2e} away", flush=True)
    reference, candidates = torch_detect(cands, conf, geometry, width, height)
    print(f"PyTorch fp32: {candidates} candidates above conf, {len(reference)} detections "
          f"(classes {sorted({d['class_id'] for d in reference})})", flush=True)
    if not 5 <= len(reference) <= MAX_DET:
        failures.append(f"{len(reference)} PyTorch detections: too few to prove anything")

    try:
        ours, report, seconds = run_detect(args.trtutils, onnx_path, png, conf, fp16=False)
        if (report.get("width"), report.get("height")) != (width, height):
            failures.append(f"detect reports image size {report.get('width')}x{report.get('height')}")
        ok, lines, good, pairs = compare(reference, ours, conf)
        print(f"trtutils fp32 ({seconds:.1f} s incl. build): {len(ours)} detections, {pairs} matched, "
              f"{good} within 1 px / 1e-3", flush=True)
        for line in lines:
            print(f"    {line}")
        if not ok:
            failures.append("fp32 detections differ (see above)")
    except Exception as e:  # noqa: BLE001 - one failure, reported
        failures.append(f"fp32 detect: {e}")
        print(f"    {e}")

    if not args.no_fp16:
        try:
            ours16, _, seconds = run_detect(args.trtutils, onnx_path, png, conf, fp16=True)
            _, lines, good, pairs = compare(reference, ours16, conf)
            loose = sum(1 for line in lines if "box off by" in line)
            print(f"trtutils fp16 (reported, not asserted; {seconds:.1f} s): {len(ours16)} detections "
                  f"vs {len(reference)} PyTorch fp32; {pairs} matched by class and IoU >= 0.5, "
                  f"{good} within 1 px / 1e-3, {loose} matched but further off", flush=True)
        except Exception as e:  # noqa: BLE001 - a report only
            print(f"trtutils fp16 (reported, not asserted): could not run: {e}")

    if failures:
        print(f"yolo-end-to-end: FAIL {len(failures)} problem(s): " + "; ".join(failures))
        return 1
    print(f"yolo-end-to-end: PASS {len(reference)} detections (conf {conf:.6f}, iou {IOU}) "
          "match PyTorch within 1 px, same classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
