#!/usr/bin/env python3
"""PyTorch (GPU) doing the pre-processing job of trtutils-bench-preprocess.

Job: B images of 1920x1080 BGR8 (uint8 HWC, already on the device and stacked,
[B, 1080, 1920, 3]) -> [B, 3, 640, 640] RGB letterbox (Ultralytics geometry:
640x360 at top 140, pad 114), /255, optionally ImageNet mean/std, f32 or f16,
contiguous NCHW. The pipeline a PyTorch user writes:

    x = src.index_select(3, order)                # BGR -> RGB (uint8; a device index
                                                  # tensor: capturable, no host copy)
    x = x.permute(0, 3, 1, 2).float()             # NCHW f32
    x = F.interpolate(x, size=(rh, rw), mode="bilinear", align_corners=False,
                      antialias=False)            # same taps as ours (half-pixel centres)
    x = F.pad(x, (left, right, top, bottom), value=114.0)
    x = x / 255.0                                 # norm "scale"
    x = (x - mean) / std                          # norm "mean_std" (as ours)
    x = x.half() if f16; x.contiguous()

Variants: "eager" (the code above) and "graph" (the same captured once per source
buffer with torch.cuda.CUDAGraph, replayed). Each is timed the way ours is:

    idle_us          one call between two CUDA events, synchronised before the next;
                     median over --iterations (>= 200) after --warmup calls
    back_to_back_us  100 calls queued back to back between two events, / 100;
                     median of 30 such runs (for "graph": 100 graph replays)

Calls rotate through K distinct source buffers totalling over 200 MB so that L2
does not hold the input (torch's intermediates come from its caching allocator
and are reused, as in real use). Prints JSON; --json FILE writes it too.

    python3 bench/preprocess_torch.py [--batches 1,32] [--iterations 500] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys

import torch
import torch.nn.functional as F

WIDTH, HEIGHT, OUT = 1920, 1080, 640
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
MIN_ROTATION_BYTES = 200e6
CALLS_PER_TIMING = 100
STEADY_REPEATS = 30


def letterbox(w: int, h: int, out: int = OUT):
    """Ultralytics LetterBox geometry (as compute_transform in trtutils)."""
    r = min(out / w, out / h)
    rw, rh = round(w * r), round(h * r)
    dw, dh = (out - rw) / 2, (out - rh) / 2
    left, top = round(dw - 0.1), round(dh - 0.1)
    right, bottom = out - rw - left, out - rh - top
    return rw, rh, left, right, top, bottom


def make_pipeline(dtype: torch.dtype, mean_std: bool, device: torch.device):
    rw, rh, left, right, top, bottom = letterbox(WIDTH, HEIGHT)
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    order = torch.tensor([2, 1, 0], device=device)

    def run(src: torch.Tensor) -> torch.Tensor:
        x = src.index_select(3, order)
        x = x.permute(0, 3, 1, 2).float()
        x = F.interpolate(x, size=(rh, rw), mode="bilinear", align_corners=False, antialias=False)
        x = F.pad(x, (left, right, top, bottom), value=114.0)
        x = x / 255.0
        if mean_std:
            x = (x - mean) / std
        if dtype == torch.float16:
            x = x.half()
        return x.contiguous()

    return run


def median_idle_us(fn, iterations: int, warmup: int) -> float:
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    for i in range(warmup):
        fn(i)
    torch.cuda.synchronize()
    times = []
    for i in range(iterations):
        start.record()
        fn(i)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) * 1e3)
    return statistics.median(times)


def median_back_to_back_us(fn, calls: int) -> float:
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    times = []
    for rep in range(STEADY_REPEATS):
        start.record()
        for i in range(calls):
            fn(rep * calls + i)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) * 1e3 / calls)
    return statistics.median(times)


def measure(batch: int, dtype: torch.dtype, mean_std: bool, args, device) -> list[dict]:
    pipeline = make_pipeline(dtype, mean_std, device)
    src_bytes = batch * WIDTH * HEIGHT * 3
    out_bytes = batch * 3 * OUT * OUT * (2 if dtype == torch.float16 else 4)
    sets = max(2, math.ceil(MIN_ROTATION_BYTES / (src_bytes + out_bytes)))
    gen = torch.Generator(device="cpu").manual_seed(7)
    image = torch.randint(0, 256, (HEIGHT, WIDTH, 3), dtype=torch.uint8, generator=gen)
    sources = [image.to(device).unsqueeze(0).expand(batch, -1, -1, -1).contiguous()
               for _ in range(sets)]
    base = {"batch": batch, "dtype": "f16" if dtype == torch.float16 else "f32",
            "norm": "mean_std" if mean_std else "scale", "rotation_sets": sets}
    results = []
    with torch.inference_mode():
        out = pipeline(sources[0])
        assert out.shape == (batch, 3, OUT, OUT) and out.is_contiguous(), out.shape

        def eager(i):
            return pipeline(sources[i % sets])

        calls = max(CALLS_PER_TIMING, sets)
        results.append({**base, "variant": "eager",
                        "idle_us": median_idle_us(eager, args.iterations, args.warmup),
                        "back_to_back_us": median_back_to_back_us(eager, calls)})

        # One graph per source buffer (a graph replays fixed addresses).
        graphs = []
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                pipeline(sources[0])  # warm-up on the side stream, as torch's docs ask
        torch.cuda.current_stream().wait_stream(stream)
        outputs = []
        for k in range(sets):
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                outputs.append(pipeline(sources[k]))
            graphs.append(g)

        def replay(i):
            graphs[i % sets].replay()

        results.append({**base, "variant": "graph",
                        "idle_us": median_idle_us(replay, args.iterations, args.warmup),
                        "back_to_back_us": median_back_to_back_us(replay, calls)})
        eager_out = pipeline(sources[0])
        graphs[0].replay()
        torch.cuda.synchronize()
        results[-1]["graph_equals_eager"] = bool(torch.equal(outputs[0], eager_out))
        del graphs, outputs
    torch.cuda.empty_cache()
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--iterations", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--json", help="also write the JSON here")
    args = ap.parse_args()
    args.iterations = max(200, args.iterations)
    if not torch.cuda.is_available():
        print(json.dumps({"device": None, "note": "no CUDA device", "torch": torch.__version__}))
        return 1
    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    doc = {"device": torch.cuda.get_device_name(device), "torch": torch.__version__,
           "iterations": args.iterations, "results": []}
    for dtype in (torch.float32, torch.float16):
        for batch in (int(b) for b in args.batches.split(",")):
            for mean_std in (True, False):
                doc["results"] += measure(batch, dtype, mean_std, args, device)
                print(f"torch: {doc['results'][-2]}", file=sys.stderr, flush=True)
    text = json.dumps(doc, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
