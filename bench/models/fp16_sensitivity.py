#!/usr/bin/env python3
"""Where a model's fp16 error comes from: relative L2 error against the
float64 oracle when only one thing is rounded to fp16 at a time (the input,
the weights, the activations of one stage), all arithmetic in float32.

    python3 bench/models/fp16_sensitivity.py --model resnet50

Rounding is emulated with .half().float(), so each row isolates one source
of error of an fp16 engine (which stores weights and activations in fp16 and
accumulates in fp32)."""
import argparse
import copy
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models  # noqa: E402


def rel_l2(y, ref):
    return float((y.double() - ref).norm() / ref.norm())


def round16(t):
    return t.half().float()


def fold_bn(model):
    """Conv+BN pairs folded (as the builder does), so weight rounding sees folded weights."""
    model = copy.deepcopy(model)
    prev = None
    for name, m in list(model.named_modules()):
        if isinstance(m, nn.BatchNorm2d) and isinstance(prev, nn.Conv2d):
            scale = m.weight / torch.sqrt(m.running_var + m.eps)
            prev.weight.data = prev.weight.data * scale.reshape(-1, 1, 1, 1)
            bias = prev.bias.data if prev.bias is not None else torch.zeros_like(m.running_mean)
            prev.bias = nn.Parameter((bias - m.running_mean) * scale + m.bias)
            m.weight.data.fill_(1.0)
            m.bias.data.zero_()
            m.running_mean.zero_()
            m.running_var.fill_(1.0 - m.eps)
        prev = m
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    model, _ = export_models.make_model(args.model, args.device)
    model = fold_bn(model).eval().to(args.device)
    g = torch.Generator().manual_seed(export_models.SEED + 2)
    x = torch.randn(export_models.batched_shape(args.model, 1), generator=g).to(args.device)
    with torch.no_grad():
        ref = copy.deepcopy(model).double()(x.double())
        rows = [("fp32 everything", rel_l2(model(x), ref)),
                ("input rounded", rel_l2(model(round16(x)), ref))]
        wq = copy.deepcopy(model)
        for p in wq.parameters():
            p.data = round16(p.data)
        rows.append(("weights rounded (BN folded)", rel_l2(wq(x), ref)))

        def with_hooks(kinds, under=""):
            hooks = []
            for name, m in model.named_modules():
                if isinstance(m, kinds) and name.startswith(under):
                    hooks.append(m.register_forward_hook(lambda _m, _i, o: round16(o)))
            try:
                return rel_l2(model(x), ref)
            finally:
                for h in hooks:
                    h.remove()

        leaf = (nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Hardswish, nn.SiLU, nn.Linear,
                nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.LayerNorm, nn.GELU)
        rows.append(("activations rounded after every layer", with_hooks(leaf)))
        children = [n for n, _ in model.named_children()]
        for child in children:
            rows.append((f"activations rounded inside '{child}' only", with_hooks(leaf, child)))
        block_kinds = tuple(type(m) for n, m in model.named_modules()
                            if type(m).__name__ in ("Bottleneck", "BasicBlock"))
        if block_kinds:
            rows.append(("block outputs (residual stream) rounded only", with_hooks(block_kinds)))
        for child in children:
            wc = copy.deepcopy(model)
            for p in getattr(wc, child).parameters():
                p.data = round16(p.data)
            rows.append((f"weights rounded in '{child}' only", rel_l2(wc(x), ref)))

        def all_fp16_except(kept):
            """Input, weights and activations rounded everywhere but inside `kept` children
            (the input too stays fp32 when the first child is kept)."""
            m = copy.deepcopy(model)
            hooks = []
            for name, mod in m.named_modules():
                if not name or name.split(".")[0] in kept:
                    continue
                for p in mod.parameters(recurse=False):
                    p.data = round16(p.data)
                if isinstance(mod, leaf):
                    hooks.append(mod.register_forward_hook(lambda _m, _i, o: round16(o)))
            xin = x if children and children[0] in kept else round16(x)
            return rel_l2(m(xin), ref)

        for n in range(0, min(len(children), 6)):
            kept = children[:n]
            rows.append((f"all fp16 but fp32 in {kept}", all_fp16_except(set(kept))))
        full = copy.deepcopy(model).half()
        rows.append(("PyTorch .half() (eager)", rel_l2(full(x.half()).float(), ref)))
    print(f"fp16 sensitivity of {args.model} (rel L2 vs float64, BN folded):")
    for what, err in rows:
        print(f"  {what:48s} {err:.3e}")


if __name__ == "__main__":
    main()
