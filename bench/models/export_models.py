#!/usr/bin/env python3
"""Exports the model-correctness set to ONNX with a float64 PyTorch oracle.

For each model (random weights, fixed seed; no download) this writes

    <out>/<model>/model.onnx     opset 17, static input shape, constant-folded
    <out>/<model>/input.npy      float32, standard normal, fixed seed
    <out>/<model>/output_<i>.npy float32: PyTorch run in float64 (on the GPU
                                 when there is one) on the same input; the oracle
    <out>/<model>/meta.json      exporter, opset, shapes, sanity-check numbers

and prints, as a sanity check of the export itself, the relative L2 error of
onnxruntime (CPU, float32) on model.onnx against the oracle, and of PyTorch in
float32 against it (the float32 noise floor of the model).

BatchNorm statistics are not left at their defaults (mean 0, var 1, which
would make BN folding a no-op): gamma/beta are randomised, then running
mean/var are measured with train-mode forward passes on random data
(cumulative average), then perturbed, so every BN carries a real affine
transform for the builder to fold.

Models: resnet50, mobilenet_v3_large, efficientnet_b0, convnext_tiny,
vit_b_16 (torchvision, weights=None, 224x224) and yolov8n_style (written
here: C2f backbone, SPPF, PAN neck, decoupled DFL head; 640x640, output
[1, 84, 8400] = xywh boxes in pixels + 80 class scores).

    python3 bench/models/export_models.py --out /tmp/models [--models resnet50,vit_b_16]
                                          [--skip-existing] [--device cuda|cpu]
                                          [--batch N] [--dynamic-batch]

--batch N exports at batch N (same weights: they do not depend on the batch)
into <out>/<model>-b<N>/ (batch 1 keeps <out>/<model>/); --dynamic-batch
marks axis 0 of the input and output dynamic ("batch") and writes
<out>/<model>-dynbatch/ (the input.npy / oracle still use batch N); build it
with BuildOptions::batch. bench/run_benchmarks.py imports make_model,
batched_shape and export_onnx from here.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
import traceback
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17
SEED = 0


# --------------------------------------------------------------------------
# A YOLOv8-style detector (original code; yolov8n-like widths and depths).
# --------------------------------------------------------------------------
class ConvBNSiLU(nn.Module):
    """Conv2d (no bias) -> BatchNorm2d -> SiLU, 'same' padding for odd k."""

    def __init__(self, c_in: int, c_out: int, k: int = 1, s: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """Two 3x3 ConvBNSiLU, with a residual add when `shortcut`."""

    def __init__(self, c: int, shortcut: bool):
        super().__init__()
        self.cv1 = ConvBNSiLU(c, c, 3)
        self.cv2 = ConvBNSiLU(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """1x1 conv to 2*h channels, split in two halves, n bottlenecks chained on
    the second half, every intermediate kept, all concatenated, 1x1 conv out."""

    def __init__(self, c_in: int, c_out: int, n: int, shortcut: bool):
        super().__init__()
        self.hidden = c_out // 2
        self.cv1 = ConvBNSiLU(c_in, 2 * self.hidden, 1)
        self.blocks = nn.ModuleList(Bottleneck(self.hidden, shortcut) for _ in range(n))
        self.cv2 = ConvBNSiLU((2 + n) * self.hidden, c_out, 1)

    def forward(self, x):
        parts = list(torch.split(self.cv1(x), self.hidden, dim=1))
        for block in self.blocks:
            parts.append(block(parts[-1]))
        return self.cv2(torch.cat(parts, dim=1))


class SPPF(nn.Module):
    """Spatial pyramid pooling (fast): three chained k x k stride-1 max pools."""

    def __init__(self, c_in: int, c_out: int, k: int = 5):
        super().__init__()
        hidden = c_in // 2
        self.cv1 = ConvBNSiLU(c_in, hidden, 1)
        self.pool = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)
        self.cv2 = ConvBNSiLU(4 * hidden, c_out, 1)

    def forward(self, x):
        x = self.cv1(x)
        p1 = self.pool(x)
        p2 = self.pool(p1)
        p3 = self.pool(p2)
        return self.cv2(torch.cat([x, p1, p2, p3], dim=1))


class DistributionFocalDecode(nn.Module):
    """DFL integral: softmax over `bins` per box side, then the expectation
    sum_i i * p_i computed as a fixed 1x1 conv with weights 0..bins-1."""

    def __init__(self, anchors: int, bins: int = 16):
        super().__init__()
        self.anchors = anchors
        self.bins = bins
        self.proj = nn.Conv2d(bins, 1, 1, bias=False)
        with torch.no_grad():
            self.proj.weight.copy_(torch.arange(bins, dtype=torch.float32).view(1, bins, 1, 1))
        self.proj.weight.requires_grad_(False)

    def forward(self, x):  # x: [b, 4*bins, a]
        a = self.anchors
        x = x.reshape(-1, 4, self.bins, a).transpose(1, 2)  # [b, bins, 4, a]
        x = F.softmax(x, dim=1)
        return self.proj(x).reshape(-1, 4, a)  # [b, 4, a] distances in grid units


class DetectHead(nn.Module):
    """Decoupled head: per level, a box branch (4*bins DFL logits) and a class
    branch (nc logits); anchors at grid-cell centres, distances (l, t, r, b)
    decoded to (cx, cy, w, h) in input pixels."""

    def __init__(self, channels, strides, image_size: int, nc: int = 80, bins: int = 16):
        super().__init__()
        self.nc = nc
        self.bins = bins
        c_box = max(16, channels[0] // 4, 4 * bins)
        c_cls = max(channels[0], min(nc, 100))
        self.box = nn.ModuleList(
            nn.Sequential(ConvBNSiLU(c, c_box, 3), ConvBNSiLU(c_box, c_box, 3),
                          nn.Conv2d(c_box, 4 * bins, 1)) for c in channels)
        self.cls = nn.ModuleList(
            nn.Sequential(ConvBNSiLU(c, c_cls, 3), ConvBNSiLU(c_cls, c_cls, 3),
                          nn.Conv2d(c_cls, nc, 1)) for c in channels)
        self.outputs_per_anchor = 4 * bins + nc
        self.cells = [(image_size // s) ** 2 for s in strides]
        self.dfl = DistributionFocalDecode(sum(self.cells), bins)
        centres, scales = [], []
        for s in strides:
            n = image_size // s
            ys, xs = torch.meshgrid(torch.arange(n, dtype=torch.float32) + 0.5,
                                    torch.arange(n, dtype=torch.float32) + 0.5, indexing="ij")
            centres.append(torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=0))  # [2, n*n]
            scales.append(torch.full((1, n * n), float(s)))
        # Constants of the graph (static input size).
        self.register_buffer("anchors", torch.cat(centres, dim=1).unsqueeze(0))  # [1, 2, A]
        self.register_buffer("strides", torch.cat(scales, dim=1).unsqueeze(0))  # [1, 1, A]

    def forward(self, feats):
        # Reshapes use Python ints only (static shapes), so the exported graph
        # carries constant Reshape targets rather than Shape/Gather chains.
        per_level = [torch.cat([bx(f), cl(f)], dim=1).reshape(-1, self.outputs_per_anchor, cells)
                     for f, bx, cl, cells in zip(feats, self.box, self.cls, self.cells)]
        y = torch.cat(per_level, dim=2)  # [b, 4*bins + nc, A]
        box_logits, cls_logits = torch.split(y, [4 * self.bins, self.nc], dim=1)
        dist = self.dfl(box_logits)  # [b, 4, A]
        lt, rb = torch.split(dist, [2, 2], dim=1)
        top_left = self.anchors - lt
        bottom_right = self.anchors + rb
        centre = (top_left + bottom_right) * 0.5
        size = bottom_right - top_left
        boxes = torch.cat([centre, size], dim=1) * self.strides
        return torch.cat([boxes, torch.sigmoid(cls_logits)], dim=1)  # [b, 4 + nc, A]


class YoloV8Style(nn.Module):
    """yolov8n-like: widths 16/32/64/128/256, C2f depths 1/2/2/1, SPPF, PAN."""

    def __init__(self, nc: int = 80, image_size: int = 640):
        super().__init__()
        w = [16, 32, 64, 128, 256]
        self.stem = ConvBNSiLU(3, w[0], 3, 2)                                   # /2
        self.stage2 = nn.Sequential(ConvBNSiLU(w[0], w[1], 3, 2), C2f(w[1], w[1], 1, True))  # /4
        self.stage3 = nn.Sequential(ConvBNSiLU(w[1], w[2], 3, 2), C2f(w[2], w[2], 2, True))  # /8
        self.stage4 = nn.Sequential(ConvBNSiLU(w[2], w[3], 3, 2), C2f(w[3], w[3], 2, True))  # /16
        self.stage5 = nn.Sequential(ConvBNSiLU(w[3], w[4], 3, 2), C2f(w[4], w[4], 1, True),
                                    SPPF(w[4], w[4]))                           # /32
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        # Top-down path.
        self.td4 = C2f(w[4] + w[3], w[3], 1, False)
        self.td3 = C2f(w[3] + w[2], w[2], 1, False)
        # Bottom-up path.
        self.down3 = ConvBNSiLU(w[2], w[2], 3, 2)
        self.bu4 = C2f(w[2] + w[3], w[3], 1, False)
        self.down4 = ConvBNSiLU(w[3], w[3], 3, 2)
        self.bu5 = C2f(w[3] + w[4], w[4], 1, False)
        self.head = DetectHead([w[2], w[3], w[4]], [8, 16, 32], image_size, nc)
        # Default init leaves the prediction convs' logits near 0: DFL softmax
        # would be flat (every box the same size) and every class score 0.5, so
        # the output would hardly depend on the network. Logits of std ~1-2
        # make boxes and scores vary and every layer matter.
        with torch.no_grad():
            for branch in list(self.head.box) + list(self.head.cls):
                last = branch[-1]
                last.weight.normal_(0.0, 2.0 / math.sqrt(last.in_channels))
                last.bias.normal_(0.0, 0.5)

    def forward(self, x):
        p3 = self.stage3(self.stage2(self.stem(x)))
        p4 = self.stage4(p3)
        p5 = self.stage5(p4)
        t4 = self.td4(torch.cat([self.up(p5), p4], dim=1))
        n3 = self.td3(torch.cat([self.up(t4), p3], dim=1))
        n4 = self.bu4(torch.cat([self.down3(n3), t4], dim=1))
        n5 = self.bu5(torch.cat([self.down4(n4), p5], dim=1))
        return self.head([n3, n4, n5])


# --------------------------------------------------------------------------
# The model set.
# --------------------------------------------------------------------------
def _torchvision(name):
    def make():
        import torchvision.models as tvm
        return getattr(tvm, name)(weights=None)
    return make


MODELS = {
    "resnet50": (_torchvision("resnet50"), (1, 3, 224, 224)),
    "mobilenet_v3_large": (_torchvision("mobilenet_v3_large"), (1, 3, 224, 224)),
    "efficientnet_b0": (_torchvision("efficientnet_b0"), (1, 3, 224, 224)),
    "convnext_tiny": (_torchvision("convnext_tiny"), (1, 3, 224, 224)),
    "vit_b_16": (_torchvision("vit_b_16"), (1, 3, 224, 224)),
    "yolov8n_style": (lambda: YoloV8Style(nc=80, image_size=640), (1, 3, 640, 640)),
}


# Nodes an fp16 build keeps in fp32 (written to <folder>/fp32_nodes.txt, read by
# trtutils-model-check; regexes searched in node names after fusion). resnet50
# with random weights amplifies early rounding about 20x: rounding only its
# input costs 5.0e-3 rel L2, only layer1's fp16 weights 1.2e-2, everything
# 1.7e-2 (PyTorch's own .half() 2.2e-2); with the stem and layer1 in fp32 the
# rest in fp16 gives 4.1e-3 (bench/models/fp16_sensitivity.py on the H100,
# 2026-11-24). Fused element-wise nodes are named "fused_<node>_<node>...".
FP32_NODES = {
    "resnet50": [r"(^|_)/(conv1|bn1|relu|maxpool|layer1)/"],
}


def write_fp32_nodes(name: str, folder: str) -> None:
    path = os.path.join(folder, "fp32_nodes.txt")
    if name not in FP32_NODES:
        if os.path.exists(path):
            os.remove(path)
        return
    with open(path, "w") as f:
        f.write("# kept in fp32 in fp16 builds; see FP32_NODES in bench/models/export_models.py\n")
        for pattern in FP32_NODES[name]:
            f.write(pattern + "\n")


def batched_shape(name: str, batch: int = 1) -> tuple:
    """The model's input shape with axis 0 set to `batch`."""
    return (int(batch),) + tuple(MODELS[name][1][1:])


def folder_name(name: str, batch: int = 1, dynamic_batch: bool = False) -> str:
    """<model> at batch 1, <model>-b<N> at batch N, <model>-dynbatch when axis 0 is dynamic."""
    if dynamic_batch:
        return f"{name}-dynbatch"
    return name if batch == 1 else f"{name}-b{batch}"


def make_model(name: str, device: str) -> tuple:
    """The model with its seeded weights and randomised statistics (eval mode,
    on the CPU, float32) and the counts for meta.json. Independent of the batch."""
    make, shape = MODELS[name]
    torch.manual_seed(SEED)
    model = make()
    model.eval()
    counts = randomise_statistics(model, shape, device, SEED + 1)
    return model, counts


def randomise_statistics(model: nn.Module, input_shape, device, generator_seed: int) -> dict:
    """Gives every BatchNorm a non-trivial affine transform and statistics, and
    ConvNeXt's layer-scale (initialised to 1e-6, which would hide the blocks)
    real values. Returns counts for meta.json."""
    g = torch.Generator().manual_seed(generator_seed)
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for bn in bns:
            if bn.affine:
                bn.weight.copy_(torch.empty_like(bn.weight).uniform_(0.5, 1.5, generator=g))
                bn.bias.copy_(torch.randn(bn.bias.shape, generator=g) * 0.2)
        layer_scales = 0
        zero_weights = 0
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(torch.empty_like(p).uniform_(0.1, 0.6, generator=g))
                layer_scales += 1
            elif p.dim() >= 2 and not bool(p.any()):
                # torchvision zero-initialises some heads (ViT's classifier):
                # an all-zero output would make every comparison pass vacuously.
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
                zero_weights += 1
    if bns:
        saved_momentum = [bn.momentum for bn in bns]
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the calibration batches
        model.to(device).train()
        batch = 8 if input_shape[-1] <= 256 else 2
        with torch.no_grad():
            for _ in range(4):
                x = torch.randn((batch,) + tuple(input_shape[1:]), generator=g).to(device)
                model(x)
        model.cpu()
        with torch.no_grad():
            for bn, m in zip(bns, saved_momentum):
                bn.momentum = m
                # Perturb so that the statistics are not exactly those of one input.
                std = bn.running_var.clamp_min(1e-6).sqrt()
                bn.running_mean.add_(torch.randn(bn.running_mean.shape, generator=g) * 0.1 * std)
                bn.running_var.mul_(torch.empty_like(bn.running_var).uniform_(0.8, 1.25, generator=g))
    model.eval()
    return {"batchnorms": len(bns), "layer_scales": layer_scales,
            "zero_weights_randomised": zero_weights}


def export_onnx(model: nn.Module, x: torch.Tensor, path: str, dynamic_batch: bool = False) -> dict:
    """TorchScript exporter at opset 17; if this torch has none, the dynamo
    exporter at opset 18, then onnx's version converter down to 17.
    `dynamic_batch` marks axis 0 of input and output dynamic (TorchScript
    path only; the dynamo fallback exports x's static shape and says so)."""
    info = {}
    kwargs = dict(input_names=["input"], output_names=["output"], do_constant_folding=True)
    if dynamic_batch:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (x,), path, dynamo=False, opset_version=OPSET, **kwargs)
        info["exporter"] = "torchscript"
        info["exported_opset"] = OPSET
    except Exception as e:  # noqa: BLE001 - report and fall back
        print(f"  !! TorchScript exporter (dynamo=False, opset {OPSET}) failed: "
              f"{type(e).__name__}: {e}", flush=True)
        print("  !! FALLING BACK to the dynamo exporter at opset 18", flush=True)
        if dynamic_batch:
            print("  !! the dynamo fallback exports a STATIC batch of "
                  f"{x.shape[0]} (dynamic_batch ignored)", flush=True)
            info["dynamic_batch_ignored"] = True
        info["torchscript_error"] = f"{type(e).__name__}: {e}"
        program = torch.onnx.export(model, (x,), dynamo=True, opset_version=18,
                                    input_names=["input"], output_names=["output"],
                                    external_data=False)
        if program is not None:
            program.optimize()
            program.save(path.replace(".onnx", ".opset18.onnx"), external_data=False)
        info["exporter"] = "dynamo"
        info["exported_opset"] = 18
        import onnx
        from onnx import version_converter
        m18 = onnx.load(path.replace(".onnx", ".opset18.onnx"))
        try:
            m17 = version_converter.convert_version(m18, OPSET)
            onnx.checker.check_model(m17)
            onnx.save(m17, path)
            info["converted_to_opset"] = OPSET
            print(f"  !! dynamo export converted 18 -> {OPSET} with onnx.version_converter", flush=True)
        except Exception as ce:  # noqa: BLE001
            print(f"  !! could not convert the opset-18 model to {OPSET}: {ce}; "
                  f"model.onnx stays at opset 18 (our importer accepts <= {OPSET})", flush=True)
            onnx.save(m18, path)
            info["converted_to_opset"] = None
    import onnx
    m = onnx.load(path)
    info["opset"] = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), None)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    info["ops"] = dict(sorted(ops.items()))
    info["bytes"] = os.path.getsize(path)
    return info


def rel_l2(out: np.ndarray, ref: np.ndarray) -> float:
    out = np.asarray(out, dtype=np.float64).reshape(-1)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if out.shape != ref.shape:
        return float("inf")
    denom = np.linalg.norm(ref)
    num = np.linalg.norm(out - ref)
    if not np.isfinite(num):
        return float("inf")
    return float(num / denom) if denom > 0 else float(num)


def as_list(y):
    if isinstance(y, torch.Tensor):
        return [y]
    return list(y)


def run_model(name: str, out_root: str, device: str, skip_existing: bool, run_ort: bool,
              batch: int = 1, dynamic_batch: bool = False) -> dict:
    shape = batched_shape(name, batch)
    d = os.path.join(out_root, folder_name(name, batch, dynamic_batch))
    os.makedirs(d, exist_ok=True)
    write_fp32_nodes(name, d)
    onnx_path = os.path.join(d, "model.onnx")
    if skip_existing and all(os.path.exists(os.path.join(d, f))
                             for f in ("model.onnx", "input.npy", "output_0.npy")):
        print(f"[{name}] exists, skipped (--skip-existing)", flush=True)
        meta_path = os.path.join(d, "meta.json")
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                return json.load(f)
        return {"model": name, "skipped": True}

    t0 = time.time()
    model, counts = make_model(name, device)
    params = sum(p.numel() for p in model.parameters())

    g = torch.Generator().manual_seed(SEED + 2)
    x = torch.randn(shape, generator=g, dtype=torch.float32)
    np.save(os.path.join(d, "input.npy"), x.numpy())

    export_info = export_onnx(model, x, onnx_path, dynamic_batch)

    # The oracle: float64 on the device.
    with torch.no_grad():
        ref_model = copy.deepcopy(model).double().to(device).eval()
        refs = [r.detach().cpu().numpy() for r in as_list(ref_model(x.double().to(device)))]
        del ref_model
        fp32_model = copy.deepcopy(model).float().to(device).eval()
        t32 = [r.detach().float().cpu().numpy() for r in as_list(fp32_model(x.to(device)))]
        del fp32_model
        # PyTorch's own fp16 error: the yardstick for our fp16 engine's.
        fp16_model = copy.deepcopy(model).half().to(device).eval()
        t16 = [r.detach().float().cpu().numpy() for r in as_list(fp16_model(x.half().to(device)))]
        del fp16_model
    for i, r in enumerate(refs):
        np.save(os.path.join(d, f"output_{i}.npy"), r.astype(np.float32))
    torch_fp32_err = [rel_l2(a, b) for a, b in zip(t32, refs)]
    torch_fp16_err = [rel_l2(a, b) for a, b in zip(t16, refs)]

    ort_err = None
    if run_ort:
        try:
            import onnxruntime as ort
            so = ort.SessionOptions()
            sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
            ort_out = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})
            ort_err = [rel_l2(a, b) for a, b in zip(ort_out, refs)]
            if len(ort_out) != len(refs):
                print(f"  !! onnxruntime gave {len(ort_out)} outputs, torch {len(refs)}", flush=True)
        except Exception as e:  # noqa: BLE001
            ort_err = f"{type(e).__name__}: {e}"

    meta = {
        "model": name,
        "input_shape": list(shape),
        "batch": batch,
        "dynamic_batch": dynamic_batch and not export_info.get("dynamic_batch_ignored", False),
        "output_shapes": [list(r.shape) for r in refs],
        "parameters": params,
        "seed": SEED,
        "torch": torch.__version__,
        "reference": f"torch float64 on {device}",
        "torch_fp32_rel_l2": torch_fp32_err,
        "torch_fp16_rel_l2": torch_fp16_err,
        "onnxruntime_cpu_rel_l2": ort_err,
        "seconds": round(time.time() - t0, 1),
        **counts,
        **export_info,
    }
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    fmt = lambda v: ", ".join(f"{e:.2e}" for e in v) if isinstance(v, list) else str(v)  # noqa: E731
    print(f"[{name}] {params / 1e6:.1f} M params, opset {export_info['opset']} "
          f"({export_info['exporter']}), {len(export_info['ops'])} op types, "
          f"outputs {meta['output_shapes']}, {meta['seconds']} s\n"
          f"    onnxruntime(cpu, fp32) vs torch fp64: {fmt(ort_err)}\n"
          f"    torch fp32 ({device})    vs torch fp64: {fmt(torch_fp32_err)}\n"
          f"    torch fp16 ({device})    vs torch fp64: {fmt(torch_fp16_err)}", flush=True)
    return meta


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (one sub-folder per model)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of: " + ", ".join(MODELS))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                    help="where the float64 oracle runs (default cuda when available)")
    ap.add_argument("--skip-existing", action="store_true",
                    help="leave a model alone when model.onnx, input.npy and output_0.npy exist")
    ap.add_argument("--no-ort", action="store_true", help="skip the onnxruntime sanity check")
    ap.add_argument("--batch", type=int, default=1,
                    help="batch of the export (default 1); N > 1 writes <out>/<model>-b<N>/")
    ap.add_argument("--dynamic-batch", action="store_true",
                    help="export axis 0 as dynamic ('batch') into <out>/<model>-dynbatch/")
    args = ap.parse_args()
    if args.batch < 1:
        print("--batch must be >= 1", file=sys.stderr)
        return 2

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model(s): {unknown}; known: {list(MODELS)}", file=sys.stderr)
        return 2
    if args.device == "cpu":
        print("!! no CUDA device: the float64 oracle runs on the CPU", flush=True)
    # Exact fp32 references and an exporter that sees plain ops.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if hasattr(torch.backends, "mha") and hasattr(torch.backends.mha, "set_fastpath_enabled"):
        torch.backends.mha.set_fastpath_enabled(False)
    import torchvision
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, numpy {np.__version__}, "
          f"device {args.device}"
          + (f" ({torch.cuda.get_device_name()})" if args.device.startswith("cuda") else ""), flush=True)

    os.makedirs(args.out, exist_ok=True)
    summary, failures = [], []
    for name in names:
        try:
            summary.append(run_model(name, args.out, args.device, args.skip_existing, not args.no_ort,
                                     args.batch, args.dynamic_batch))
        except Exception as e:  # noqa: BLE001 - keep going, report at the end
            traceback.print_exc()
            failures.append(name)
            summary.append({"model": name, "error": f"{type(e).__name__}: {e}"})
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
    with open(os.path.join(args.out, "export_summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"export: {len(names) - len(failures)} exported, {len(failures)} failed"
          + (f" ({', '.join(failures)})" if failures else ""), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
