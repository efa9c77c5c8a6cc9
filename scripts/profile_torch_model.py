#!/usr/bin/env python3
"""One PyTorch eager fp16 inference of a model of the model-correctness set,
between cudaProfilerStart/Stop, for `ncu --profile-from-start off`
(scripts/profile-kernels.sh). CNNs run channels_last, as in the benchmark."""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "models"))
import export_models  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--onnx-dir", help="unused; kept for a uniform command line")
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    model, _ = export_models.make_model(args.model, "cuda")
    model = model.cuda().half().eval()
    x = torch.randn(export_models.batched_shape(args.model, args.batch), device="cuda").half()
    if args.model != "vit_b_16":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        for _ in range(args.warmup):
            model(x)
        torch.cuda.synchronize()
        torch.cuda.cudart().cudaProfilerStart()
        model(x)
        torch.cuda.synchronize()
        torch.cuda.cudart().cudaProfilerStop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
