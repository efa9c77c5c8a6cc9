#!/usr/bin/env python3
"""Engine (fp16) against PyTorch on the model-correctness set, in one run.

For each model (bench/models/export_models.py: same seeded weights) and batch:

  eager         PyTorch eager fp16 (model.half(), channels_last for CNNs,
                torch.inference_mode, cudnn.benchmark on)
  cuda_graph    the same forward captured once in a torch.cuda.CUDAGraph on a
                static input, then replayed
  compile:*     torch.compile(mode='reduce-overhead' | 'max-autotune',
                dynamic=False) of the same fp16 model
  ours:no_graph trtutils-bench-engine (tools/bench_engine): the ONNX export
  ours:graph    at that batch built fp16, TRTEngine::direct_exec without and
                with a CUDA graph

Every variant is timed the same way: warm-up calls, then N calls each between
two CUDA events, synchronised before the next call (the latency of one
inference from an idle queue); the median (and p90, min) of the N. Each
configuration gets its own standard-normal input (seeded; never zeros).

The run has two phases, so that a cold machine fits one device call:

  1. prepare (parallel; nothing is timed): ONNX exports at each batch
     (export_models.py --batch N), engine builds (trtutils-bench-engine
     --build-only, one after another: they autotune on the GPU), and
     torch.compile of every compile variant in worker processes (filling
     Inductor's on-disk caches). Whatever is unfinished at --prep-budget is
     stopped.
  2. measure: this process (pinned to 2 cores) times eager, cuda_graph and
     runs the engine tool; compile workers (one per model, pinned to the other
     cores) compile (from the caches when phase 1 finished) and warm up in the
     background, then each waits for a GO and times only while nothing else
     is timing. Compile work of a waiting worker can overlap a measurement
     (CPU mostly, a few GPU launches); --serial-compile avoids that.

Everything is bounded by --budget (seconds from start); what did not fit is
recorded as skipped with its reason. Results: a markdown table (printed last)
and JSON, written as <results-dir>/<UTC date>-<device>.md/.json (and under
--out). A second call on a warm machine reuses exports, engines and compile
caches (--work-dir) and measures everything.

    python3 bench/run_benchmarks.py [--models resnet50,vit_b_16] [--batches 1,32]
        [--iterations 200] [--warmup 30] [--budget 530] [--prep-budget 240]
        [--compile-modes reduce-overhead,max-autotune] [--max-autotune-batches 1]
        [--engine-tool .gpu/bin/trtutils-bench-engine] [--work-dir /tmp/trtutils-bench]
        [--out DIR] [--results-dir bench/results]

scripts/bench.sh wraps it for one device call (see bench/README.md).
"""
from __future__ import annotations

import time

T0 = time.monotonic()  # the budget counts from here, before importing torch

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import queue  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "models"))

ALL_MODELS = ["resnet50", "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny", "vit_b_16",
              "yolov8n_style"]
NOT_CNN = {"vit_b_16"}
# Speed-up targets (best PyTorch / ours) by batch; other batches use the batch-32 one.
TARGETS = {1: 1.5, 32: 1.2}
HOST_TARGET_US = 10.0
COMPILE_MODES = ("reduce-overhead", "max-autotune")
SHORT = {"reduce-overhead": "ro", "max-autotune": "ma"}


def elapsed() -> float:
    return time.monotonic() - T0


def log(msg: str) -> None:
    print(f"[{elapsed():6.1f}s] {msg}", flush=True)


def graph_split(r: dict) -> str | None:
    """The graph configuration's node counts and host-time split in one
    phrase (None for results of an engine tool without them)."""
    if r.get("graph_nodes") is None or r.get("host_graph_launch_median_us") is None:
        return None
    line = "no" if not r.get("graph_straight_line") else "yes"
    text = (f"{r['graph_nodes']} nodes ({r['graph_kernel_nodes']} / {r['graph_memcpy_nodes']} / "
            f"{r['graph_memset_nodes']} / {r['graph_other_nodes']}; "
            f"{r['graph_programmatic_edges']} PDL, {r['graph_cluster_kernel_nodes']} cluster, "
            f"line {line}): launch {r['host_graph_launch_median_us']:.1f} + ours "
            f"{r['host_ours_median_us']:.1f}, reference {r['host_reference_launch_median_us']:.1f}")
    if r.get("graph_full_edges_changed") and r.get("host_full_edges_launch_median_us") is not None:
        # The PDL trade-off: the same graph with its programmatic edges made full.
        text += (f"; PDL edges made full: launch {r['host_full_edges_launch_median_us']:.1f}, "
                 f"replay {r['gpu_full_edges_replay_median_ms']:.3f} ms vs "
                 f"{r['gpu_replay_median_ms']:.3f} ms with PDL")
    return text


def target_for(batch: int) -> float:
    return TARGETS.get(batch, TARGETS[32])


def stats(ms: list) -> dict:
    v = sorted(ms)
    n = len(v)
    if n == 0:
        return {}
    median = v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])
    p90 = v[min(n - 1, max(0, -(-9 * n // 10) - 1))]
    return {"median_ms": median, "p90_ms": p90, "min_ms": v[0], "mean_ms": sum(v) / n,
            "iterations": n}


# --------------------------------------------------------------------------
# Timing and the PyTorch variants (used by the main process and the workers).
# --------------------------------------------------------------------------
def time_cuda(torch, fn, iterations: int, warmup: int) -> dict:
    """Warm-up, then `iterations` calls each between two CUDA events on the
    current stream, synchronised before the next call."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(iterations)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(iterations)]
    ms = []
    for s, e in zip(starts, ends):
        s.record()
        fn()
        e.record()
        e.synchronize()
        ms.append(s.elapsed_time(e))
    return stats(ms)


def finite(torch, y) -> bool:
    ys = [y] if isinstance(y, torch.Tensor) else list(y)
    return all(bool(torch.isfinite(t).all()) for t in ys)


def make_fp16_model(torch, em, name: str):
    """The export's seeded model in fp16 on the GPU (channels_last for CNNs)."""
    model, _ = em.make_model(name, "cuda")
    model = model.half().cuda().eval()
    if name not in NOT_CNN:
        model = model.to(memory_format=torch.channels_last)
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def random_input(torch, name: str, batch: int, seed: int, em):
    g = torch.Generator(device="cuda").manual_seed(seed)
    x = torch.randn(em.batched_shape(name, batch), generator=g, device="cuda",
                    dtype=torch.float16)
    if name not in NOT_CNN:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def bench_eager(torch, model, x, iterations, warmup) -> dict:
    with torch.inference_mode():
        r = time_cuda(torch, lambda: model(x), iterations, warmup)
        r["finite"] = finite(torch, model(x))
    return r


def bench_cuda_graph(torch, model, x, iterations, warmup) -> dict:
    with torch.inference_mode():
        static_x = x.clone(memory_format=torch.preserve_format)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):  # cudnn.benchmark and lazy init before the capture
                model(static_x)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_y = model(static_x)
        r = time_cuda(torch, graph.replay, iterations, warmup)
        graph.replay()
        torch.cuda.synchronize()
        r["finite"] = finite(torch, static_y)
        del graph, static_y, static_x
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    return r


# --------------------------------------------------------------------------
# Worker: torch.compile variants of one model, in its own process.
# --------------------------------------------------------------------------
def worker_main(spec: dict) -> int:
    """spec: model, variants [{batch, mode}], iterations, warmup, seed,
    prefetch (compile + 3 calls only, write a marker), wait_go (print READY,
    time after a GO line on stdin), marker_dir. Prints one 'RESULT {json}'
    line per variant."""
    import torch
    torch.backends.cudnn.benchmark = True
    import export_models as em

    def emit(obj):
        print("RESULT " + json.dumps(obj), flush=True)

    name = spec["model"]
    t = time.monotonic()
    model = make_fp16_model(torch, em, name)
    print(f"worker {name}: model ready in {time.monotonic() - t:.1f}s", file=sys.stderr, flush=True)
    for i, v in enumerate(spec["variants"]):
        batch, mode = v["batch"], v["mode"]
        key = {"model": name, "batch": batch, "variant": f"compile:{mode}"}
        try:
            torch._dynamo.reset()
            t = time.monotonic()
            compiled = torch.compile(model, mode=mode, dynamic=False)
            x = random_input(torch, name, batch, spec["seed"] + 101 + i, em)
            mark = getattr(torch.compiler, "cudagraph_mark_step_begin", None)

            def call():
                if mark is not None:
                    mark()
                return compiled(x)

            with torch.inference_mode():
                for _ in range(3):  # the compile happens in the first call
                    call()
                torch.cuda.synchronize()
            compile_s = time.monotonic() - t
            if spec.get("prefetch"):
                marker = os.path.join(spec["marker_dir"], f"{name}-b{batch}-{SHORT[mode]}.json")
                with open(marker, "w") as f:
                    json.dump({"compile_seconds": compile_s, "torch": torch.__version__}, f)
                emit({**key, "status": "prefetched", "compile_seconds": compile_s})
                continue
            with torch.inference_mode():
                for _ in range(spec["warmup"]):
                    call()
                torch.cuda.synchronize()
            if spec.get("wait_go"):
                print(f"READY {batch} {mode}", flush=True)
                line = sys.stdin.readline().strip()
                if line != "GO":
                    emit({**key, "status": "skipped", "note": f"stopped before timing ({line or 'EOF'})"})
                    return 0
            with torch.inference_mode():
                r = time_cuda(torch, call, spec["iterations"], 3)
                r["finite"] = finite(torch, call())
            emit({**key, "status": "ok", "compile_seconds": compile_s, **r})
        except Exception as e:  # noqa: BLE001 - report, go on with the next variant
            traceback.print_exc()
            emit({**key, "status": "error", "error": f"{type(e).__name__}: {e}"[:2000]})
        finally:
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
    return 0


# --------------------------------------------------------------------------
# Child processes (each in its own session, killed as a group).
# --------------------------------------------------------------------------
class Child:
    every: "list[Child]" = []  # all started, so that an exit or SIGTERM stops them

    def __init__(self, cmd, log_path, env=None, cpus=None, stdin=False, stdout_pipe=False):
        self.cmd = cmd
        self.log_path = log_path
        self.log = open(log_path, "a")
        self.log.write(f"$ {' '.join(cmd)}\n")
        self.log.flush()
        self.lines: "queue.Queue[str | None]" = queue.Queue()
        self.piped = stdout_pipe
        # No preexec_fn (unsafe with threads): the affinity is set right after
        # the start, long before the child (a Python or CUDA program) starts
        # its own workers, which inherit it.
        self.proc = subprocess.Popen(
            cmd, env=env, start_new_session=True, text=True, bufsize=1,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else self.log, stderr=self.log)
        Child.every.append(self)
        if cpus:
            try:
                os.sched_setaffinity(self.proc.pid, cpus)
            except OSError:
                pass
        if stdout_pipe:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in self.proc.stdout:
                self.log.write(line)
                self.log.flush()
                self.lines.put(line.rstrip("\n"))
        except (OSError, ValueError):
            pass
        self.lines.put(None)
        self.log.close()

    def _close_log(self):
        if not self.piped:  # the reader thread closes it at the end of the output
            self.log.close()

    def send(self, text: str) -> None:
        try:
            self.proc.stdin.write(text + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._close_log()

    def wait(self, timeout: float) -> bool:
        """True when it exited within `timeout`; otherwise it is killed."""
        try:
            self.proc.wait(timeout=max(0.1, timeout))
            self._close_log()
            return True
        except subprocess.TimeoutExpired:
            self.kill()
            return False


# --------------------------------------------------------------------------
# The run.
# --------------------------------------------------------------------------
class Bench:
    def __init__(self, args):
        self.args = args
        self.models = [m.strip() for m in args.models.split(",") if m.strip()]
        self.batches = [int(b) for b in args.batches.split(",") if b.strip()]
        self.modes = [m.strip() for m in args.compile_modes.split(",") if m.strip()]
        self.ma_batches = {int(b) for b in args.max_autotune_batches.split(",") if b.strip()}
        self.work = args.work_dir
        self.logs = os.path.join(args.out or self.work, "logs")
        self.markers = os.path.join(self.work, "compile-prefetched")
        os.makedirs(self.logs, exist_ok=True)
        os.makedirs(self.markers, exist_ok=True)
        self.rows = {}  # (model, batch) -> {variant: result}
        self.events = []  # what was tried, skipped, failed
        self.meta = {}
        self.lock = threading.Lock()
        self.children: list[Child] = []
        ncpu = os.cpu_count() or 2
        self.main_cpus = {0, 1} if ncpu > 3 else None
        self.other_cpus = set(range(2, ncpu)) if ncpu > 3 else None
        self.compile_threads = max(2, (ncpu - 2) // max(1, args.prefetch_workers))
        self.worker_cmd = [sys.executable, os.path.abspath(__file__)]
        self.export_script = os.path.join(HERE, "models", "export_models.py")

    # -- bookkeeping ------------------------------------------------------
    def remaining(self) -> float:
        return self.args.budget - elapsed()

    def record(self, model, batch, variant, result):
        with self.lock:
            self.rows.setdefault((model, batch), {})[variant] = result
        self.save()

    def note(self, text):
        log(text)
        with self.lock:
            self.events.append(f"{elapsed():.0f}s {text}")

    def compile_variants(self, model):
        out = []
        for mode in self.modes:
            for b in self.batches:
                if mode == "max-autotune" and b not in self.ma_batches:
                    continue
                out.append({"batch": b, "mode": mode})
        return out

    def onnx_path(self, model, batch):
        import export_models as em
        return os.path.join(self.work, em.folder_name(model, batch), "model.onnx")

    def export_done(self, model, batch):
        """The files export_models.py --skip-existing checks (written in that order)."""
        import export_models as em
        d = os.path.join(self.work, em.folder_name(model, batch))
        return all(os.path.exists(os.path.join(d, f)) for f in ("model.onnx", "input.npy", "output_0.npy"))

    def worker_env(self):
        env = dict(os.environ)
        env["TORCHINDUCTOR_COMPILE_THREADS"] = str(self.compile_threads)
        env["PYTHONPATH"] = os.path.join(HERE, "models") + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def engine_env(self):
        """The engine tool's environment: ENGINE_LD_LIBRARY_PATH (scripts/bench.sh
        sets it: .gpu/lib, the venv's cuDNN / cuBLAS, CUDA) goes first on
        LD_LIBRARY_PATH, for the tool only (torch keeps its own)."""
        env = dict(os.environ)
        extra = os.environ.get("ENGINE_LD_LIBRARY_PATH", "")
        if extra:
            env["LD_LIBRARY_PATH"] = extra + os.pathsep + env.get("LD_LIBRARY_PATH", "")
        return env

    def engine_cmd(self, model, batch, extra):
        a = self.args
        return [a.engine_tool, self.onnx_path(model, batch), "--batch", str(batch),
                "--precision", "fp16", "--name", model,
                "--timing-cache", os.path.join(self.work, "timing.cache")] + extra

    # -- phase 1: prepare ---------------------------------------------------
    def prepare(self):
        a = self.args
        deadline = min(a.prep_budget, a.budget - 60)
        self.note(f"prepare: exports, engine builds, compile prefetch until t={deadline:.0f}s")
        threads = []
        export_threads = {}
        for b in self.batches:
            missing = [m for m in self.models if not self.export_done(m, b)]
            if not missing:
                continue
            t = threading.Thread(target=self._export, args=(b, missing, deadline), daemon=True)
            t.start()
            export_threads[b] = t
            threads.append(t)
        if not a.no_engine and os.access(a.engine_tool, os.X_OK):
            t = threading.Thread(target=self._build_engines, args=(export_threads, deadline),
                                 daemon=True)
            t.start()
            threads.append(t)
        if not a.no_compile and not a.no_prefetch:
            t = threading.Thread(target=self._prefetch, args=(deadline,), daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join(timeout=max(0.0, deadline - elapsed()))
        with self.lock:
            live = [c for c in self.children if c.alive()]
        for c in live:
            self.note(f"prepare: stopped at the deadline: {' '.join(c.cmd[:4])}...")
            c.kill()
        for t in threads:
            t.join(timeout=15)
        self.note("prepare: done")

    def _spawn(self, cmd, log_name, **kw):
        c = Child(cmd, os.path.join(self.logs, log_name), **kw)
        with self.lock:
            self.children.append(c)
        return c

    def _export(self, batch, models, deadline):
        cmd = [sys.executable, self.export_script, "--out", self.work,
               "--models", ",".join(models), "--batch", str(batch), "--skip-existing", "--no-ort"]
        c = self._spawn(cmd, f"export-b{batch}.log", env=self.worker_env())
        ok = c.wait(deadline - elapsed())
        self.note(f"export batch {batch} ({','.join(models)}): "
                  + ("rc " + str(c.proc.returncode) if ok else "stopped (prepare deadline)"))

    def _build_engines(self, export_threads, deadline):
        """One build at a time (they autotune on the GPU), batch 1 first, each
        as soon as its export has landed."""
        pending = [(m, b) for b in self.batches for m in self.models]
        while pending and elapsed() < deadline - 5:
            ready = next(((m, b) for m, b in pending if self.export_done(m, b)), None)
            if ready is None:
                exporting = {b for b, t in export_threads.items() if t.is_alive()}
                pending = [(m, b) for m, b in pending if b in exporting]
                time.sleep(1.0)
                continue
            pending.remove(ready)
            m, b = ready
            c = self._spawn(self.engine_cmd(m, b, ["--build-only"]), f"engine-{m}-b{b}.log",
                            env=self.engine_env())
            ok = c.wait(deadline - elapsed())
            self.note(f"engine build {m} b{b}: "
                      + (f"rc {c.proc.returncode}" if ok else "stopped (prepare deadline)"))

    def _prefetch(self, deadline):
        jobs = []
        for mode in self.modes:  # reduce-overhead first: it is the cheaper compile
            for b in self.batches:
                if mode == "max-autotune" and b not in self.ma_batches:
                    continue
                for m in self.models:
                    if not os.path.exists(os.path.join(self.markers, f"{m}-b{b}-{SHORT[mode]}.json")):
                        jobs.append((m, b, mode))
        running = []
        while (jobs or running) and elapsed() < deadline:
            running = [r for r in running if r.alive()]
            while jobs and len(running) < self.args.prefetch_workers:
                m, b, mode = jobs.pop(0)
                spec = {"model": m, "variants": [{"batch": b, "mode": mode}], "iterations": 0,
                        "warmup": 0, "seed": self.args.seed, "prefetch": True,
                        "marker_dir": self.markers}
                running.append(self._spawn(
                    self.worker_cmd + ["--worker", json.dumps(spec)],
                    f"prefetch-{m}-b{b}-{SHORT[mode]}.log", env=self.worker_env()))
            time.sleep(0.5)
        if jobs:
            self.note(f"prefetch: {len(jobs)} compile(s) not started before the deadline")

    # -- phase 2: measure ---------------------------------------------------
    def measure(self):
        import torch
        import export_models as em
        a = self.args
        torch.backends.cudnn.benchmark = True
        if self.main_cpus:
            try:
                os.sched_setaffinity(0, self.main_cpus)
            except OSError:
                pass
        torch.set_num_threads(2)

        # Compile workers: started now, they compile and warm up in the background.
        self.workers = []
        self.pending_workers = []
        if not a.no_compile:
            for m in self.models:
                variants = self.compile_variants(m)
                if variants:
                    self.pending_workers.append((m, variants))
        self._start_workers()

        models = {}
        order = [(m, b) for b in self.batches for m in self.models]
        for m, b in order:
            self._service_workers()
            if self.remaining() < 20:
                for v in ("eager", "cuda_graph", "ours:no_graph", "ours:graph"):
                    self._skip(m, b, v, "budget")
                continue
            if m not in models:
                try:
                    t = time.monotonic()
                    models[m] = make_fp16_model(torch, em, m)
                    self.note(f"{m}: fp16 model ready ({time.monotonic() - t:.1f}s)")
                except Exception as e:  # noqa: BLE001
                    traceback.print_exc()
                    models[m] = None
                    self.note(f"{m}: model construction failed: {type(e).__name__}: {e}")
            model = models[m]
            for variant, fn in (("eager", bench_eager), ("cuda_graph", bench_cuda_graph)):
                if model is None:
                    self._skip(m, b, variant, "model construction failed", status="error")
                    continue
                try:
                    x = random_input(torch, m, b, a.seed + (1 if variant == "eager" else 2), em)
                    r = fn(torch, model, x, a.iterations, a.warmup)
                    del x
                    self.record(m, b, variant, {"status": "ok", **r})
                    log(f"{m} b{b} {variant}: {r['median_ms']:.3f} ms")
                except Exception as e:  # noqa: BLE001
                    traceback.print_exc()
                    self.record(m, b, variant, {"status": "error", "error": f"{type(e).__name__}: {e}"[:2000]})
                torch.cuda.synchronize()
                torch.cuda.empty_cache()
                self._service_workers()
            self._run_ours(m, b)
            if b == self.batches[-1]:
                models.pop(m, None)
                torch.cuda.empty_cache()
        models.clear()
        torch.cuda.empty_cache()

        # The rest of the compile timings.
        while (self.workers or self.pending_workers) and self.remaining() > 5:
            self._service_workers(block=0.5)
        for w in self.workers:
            w["child"].kill()
        for w in self.workers:
            self._finish_worker(w, "budget")
        for m, variants in self.pending_workers:
            for v in variants:
                self._skip(m, v["batch"], f"compile:{v['mode']}", "budget")
        self.workers, self.pending_workers = [], []

    def _skip(self, m, b, variant, why, status="skipped"):
        with self.lock:
            have = self.rows.get((m, b), {}).get(variant)
        if have is None:
            self.record(m, b, variant, {"status": status, "note": why})

    def _run_ours(self, m, b):
        a = self.args
        if a.no_engine:
            for v in ("ours:no_graph", "ours:graph"):
                self._skip(m, b, v, "--no-engine")
            return
        if not os.access(a.engine_tool, os.X_OK):
            for v in ("ours:no_graph", "ours:graph"):
                self._skip(m, b, v, f"no engine tool at {a.engine_tool} (scripts/bench.sh package)",
                           status="error")
            return
        if not self.export_done(m, b):
            for v in ("ours:no_graph", "ours:graph"):
                self._skip(m, b, v, "no ONNX export (see logs/export-b*.log)", status="error")
            return
        # Batch 32 calls take milliseconds of GPU time each; 250 of them still
        # take seconds, and a median of fewer moved by several microseconds
        # between runs.
        host_calls = a.host_calls if b == 1 else max(200, a.host_calls // 2)
        cmd = self.engine_cmd(m, b, ["--iterations", str(a.iterations), "--warmup", str(a.warmup),
                                     "--host-calls", str(host_calls), "--seed", str(a.seed + 3)])
        c = Child(cmd, os.path.join(self.logs, f"engine-{m}-b{b}.log"), env=self.engine_env(),
                  stdout_pipe=True)
        timeout = min(a.engine_timeout, self.remaining() - 5)
        ok = c.wait(timeout)
        lines = []
        while True:
            try:
                line = c.lines.get(timeout=2)
            except queue.Empty:
                break
            if line is None:
                break
            lines.append(line)
        got = set()
        for line in lines:
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if "error" in j:
                for v in ("ours:no_graph", "ours:graph"):
                    self._skip(m, b, v, f"{j.get('stage', '')}: {j['error']}"[:2000], status="error")
                continue
            cfg = j.get("config")
            if cfg in ("no_graph", "graph"):
                r = {"status": "ok", "finite": j.get("output_non_finite", 1) == 0, **j}
                self.record(m, b, f"ours:{cfg}", r)
                got.add(cfg)
                split = graph_split(j)
                log(f"{m} b{b} ours:{cfg}: {j['median_ms']:.3f} ms, host "
                    f"{j['host_enqueue_median_us']:.1f} us, built in {j['build_seconds']}s"
                    + (" (cached)" if j.get("engine_cached") else "")
                    + (f"; graph {split}" if split else ""))
        why = "engine tool timed out" if not ok else f"engine tool rc {c.proc.returncode}"
        for cfg in ("no_graph", "graph"):
            if cfg not in got:
                self._skip(m, b, f"ours:{cfg}", f"{why} (logs/engine-{m}-b{b}.log)", status="error")

    # compile workers ----------------------------------------------------
    def _start_workers(self):
        a = self.args
        while self.pending_workers and len(self.workers) < a.compile_workers:
            m, variants = self.pending_workers.pop(0)
            spec = {"model": m, "variants": variants, "iterations": a.iterations,
                    "warmup": a.warmup, "seed": a.seed, "wait_go": True,
                    "marker_dir": self.markers}
            child = Child(self.worker_cmd + ["--worker", json.dumps(spec)],
                          os.path.join(self.logs, f"compile-{m}.log"), env=self.worker_env(),
                          cpus=self.other_cpus, stdin=True, stdout_pipe=True)
            self.workers.append({"model": m, "variants": variants, "child": child,
                                 "done": set(), "ready": None})
            self.note(f"compile worker {m}: {', '.join(SHORT[v['mode']] + '@b' + str(v['batch']) for v in variants)}")

    def _drain(self, w):
        """Reads what the worker printed; returns False when its output ended."""
        while True:
            try:
                line = w["child"].lines.get_nowait()
            except queue.Empty:
                return True
            if line is None:
                return False
            if line.startswith("READY"):
                w["ready"] = line
            elif line.startswith("RESULT "):
                try:
                    r = json.loads(line[len("RESULT "):])
                except ValueError:
                    continue
                w["ready"] = None
                w["done"].add((r["batch"], r["variant"]))
                self.record(r["model"], r["batch"], r["variant"], r)
                ms = f"{r['median_ms']:.3f} ms" if "median_ms" in r else r.get("error", r.get("note", ""))
                log(f"{r['model']} b{r['batch']} {r['variant']}: {r['status']} {ms} "
                    f"(compile {r.get('compile_seconds', 0):.0f}s)")

    def _finish_worker(self, w, why):
        for v in w["variants"]:
            key = (v["batch"], f"compile:{v['mode']}")
            if key not in w["done"]:
                self._skip(w["model"], v["batch"], key[1], why,
                           status="skipped" if why == "budget" else "error")

    def _service_workers(self, block: float = 0.0):
        """Lets each READY worker time, one at a time (nothing else is timing
        then); retires finished workers and starts pending ones."""
        if block:
            time.sleep(block)
        for w in list(self.workers):
            alive = self._drain(w)
            if w["ready"] and self.remaining() > 10:
                w["child"].send("GO")
                w["ready"] = None
                # Wait for its RESULT (timing only: seconds), bounded.
                limit = time.monotonic() + min(120, max(5, self.remaining() - 5))
                before = len(w["done"])
                while len(w["done"]) == before and time.monotonic() < limit and alive:
                    time.sleep(0.05)
                    alive = self._drain(w)
            if not alive or not w["child"].alive():
                self._drain(w)
                w["child"].wait(5)
                self._finish_worker(w, f"worker exited rc {w['child'].proc.returncode} "
                                       f"(logs/compile-{w['model']}.log)")
                self.workers.remove(w)
        self._start_workers()

    # -- results ------------------------------------------------------------
    def device_info(self):
        info = {"gpu": "unknown", "driver": "unknown"}
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                  "--format=csv,noheader"], capture_output=True, text=True,
                                 timeout=20).stdout.strip().splitlines()
            if out:
                parts = [p.strip() for p in out[0].split(",")]
                info = {"gpu": parts[0], "driver": parts[1] if len(parts) > 1 else "unknown",
                        "memory": parts[2] if len(parts) > 2 else ""}
        except (OSError, subprocess.SubprocessError):
            pass
        return info

    def collect_meta(self):
        import torch
        import torchvision
        dev = self.device_info()
        now = datetime.datetime.now(datetime.timezone.utc)
        commit = os.environ.get("BENCH_COMMIT", "")
        if not commit:
            try:
                commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True, timeout=10).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                commit = ""
        a = self.args
        self.meta = {
            "date_utc": now.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "date": now.strftime("%Y-%m-%d"),
            "gpu": dev["gpu"], "driver": dev["driver"], "gpu_memory": dev.get("memory", ""),
            "torch": torch.__version__, "torchvision": torchvision.__version__,
            "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
            "python": sys.version.split()[0], "commit": commit or "unknown",
            "models": self.models, "batches": self.batches,
            "iterations": a.iterations, "warmup": a.warmup, "host_calls_batch1": a.host_calls,
            "compile_modes": self.modes, "max_autotune_batches": sorted(self.ma_batches),
            "budget_s": a.budget, "prep_budget_s": a.prep_budget,
            "compile_workers": a.compile_workers, "serial_compile": a.compile_workers <= 1,
            "method": "per call: CUDA events around the call, synchronised before the next; "
                      "median over the iterations after warm-up; one random-normal input per "
                      "configuration (fp16 for PyTorch; the engine's fp32 input, cast inside)",
        }

    def summary_rows(self):
        out = []
        for b in self.batches:
            for m in self.models:
                row = self.rows.get((m, b), {})

                def ms(v):
                    r = row.get(v)
                    return r["median_ms"] if r and r.get("status") == "ok" and "median_ms" in r else None
                torch_variants = {v: ms(v) for v in
                                  ["eager", "cuda_graph"] + [f"compile:{mo}" for mo in COMPILE_MODES]}
                got = {v: t for v, t in torch_variants.items() if t is not None}
                best_v = min(got, key=got.get) if got else None
                ours_v = {v: ms(v) for v in ("ours:no_graph", "ours:graph")}
                ours_got = {v: t for v, t in ours_v.items() if t is not None}
                ours_best = min(ours_got, key=ours_got.get) if ours_got else None
                speedup = (got[best_v] / ours_got[ours_best]) if best_v and ours_best else None
                compile_complete = all(
                    row.get(f"compile:{mo}", {}).get("status") == "ok"
                    for mo in self.modes if mo != "max-autotune" or b in self.ma_batches)
                out.append({
                    "model": m, "batch": b, **{k: v for k, v in torch_variants.items()},
                    "best_pytorch": best_v, "best_pytorch_ms": got.get(best_v) if best_v else None,
                    "ours_no_graph": ours_v["ours:no_graph"], "ours_graph": ours_v["ours:graph"],
                    "ours": ours_best, "ours_ms": ours_got.get(ours_best) if ours_best else None,
                    "speedup": speedup, "target": target_for(b),
                    "met": None if speedup is None else speedup >= target_for(b),
                    "compile_complete": compile_complete,
                    "host_graph_us": row.get("ours:graph", {}).get("host_enqueue_median_us"),
                    "host_no_graph_us": row.get("ours:no_graph", {}).get("host_enqueue_median_us"),
                    "graph_split": graph_split(row.get("ours:graph", {})),
                })
        return out

    def markdown(self):
        def f(v, d=3):
            return "-" if v is None else f"{v:.{d}f}"
        s = self.summary_rows()
        meta = self.meta
        lines = [
            f"# trtutils engine vs PyTorch: {meta.get('date_utc', '')}",
            "",
            f"GPU: {meta.get('gpu')} (driver {meta.get('driver')}, {meta.get('gpu_memory', '')}); "
            f"torch {meta.get('torch')}, torchvision {meta.get('torchvision')}, CUDA {meta.get('cuda')}, "
            f"cuDNN {meta.get('cudnn')}; trtutils {meta.get('commit')}.",
            f"Median latency in ms over {meta.get('iterations')} calls after {meta.get('warmup')} "
            f"warm-up calls ({meta.get('method', '')}). All fp16.",
            "",
            "| model | batch | eager | eager+graph | compile ro | compile ma | best PyTorch | "
            "ours no-graph | ours graph | ours | speed-up (best PyTorch / ours) | target | met? |",
            "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
        ]
        for r in s:
            best = (f"{f(r['best_pytorch_ms'])} ({r['best_pytorch']})" if r["best_pytorch"] else "-")
            if r["best_pytorch"] and not r["compile_complete"]:
                best += " †"
            met = "-" if r["met"] is None else ("yes" if r["met"] else "no")
            speedup = "-" if r["speedup"] is None else f"{r['speedup']:.2f}x"
            lines.append(
                f"| {r['model']} | {r['batch']} | {f(r['eager'])} | {f(r['cuda_graph'])} | "
                f"{f(r['compile:reduce-overhead'])} | {f(r['compile:max-autotune'])} | {best} | "
                f"{f(r['ours_no_graph'])} | {f(r['ours_graph'])} | {f(r['ours_ms'])} | "
                f"{speedup} | "
                f"{r['target']:.1f}x | {met} |")
        lines.append("")
        lines.append("† best PyTorch without every compile variant asked for (see the notes below): "
                     "the real best PyTorch may be faster.")
        host = [(r["model"], r["batch"], r["host_graph_us"], r["host_no_graph_us"]) for r in s
                if r["host_graph_us"] is not None]
        if host:
            worst = max(h[2] for h in host)
            lines.append("")
            lines.append(
                f"Host overhead of one direct_exec with a CUDA graph (median host wall time of the "
                f"call alone, queue empty): worst {worst:.1f} us, target < {HOST_TARGET_US:.0f} us: "
                f"{'met' if worst < HOST_TARGET_US else 'NOT met'}. Per model: "
                + "; ".join(f"{m} b{b} {g:.1f} us (no graph: {'-' if ng is None else f'{ng:.0f}'} us)"
                            for m, b, g, ng in host) + ".")
            splits = [(r["model"], r["batch"], r["graph_split"]) for r in s if r["graph_split"]]
            if splits:
                lines.append("")
                lines.append(
                    "Where the graph replay's host time goes (medians, us): the recorded graph's "
                    "nodes (kernel / memcpy / memset / other; programmatic edges, cluster "
                    "kernels, straight line?), a bare cudaGraphLaunch of it, the rest (our "
                    "checks), and a launch of a straight line of as many empty kernels "
                    "(reference). Per model: "
                    + "; ".join(f"{m} b{b} {t}" for m, b, t in splits) + ".")
        else:
            lines.append("")
            lines.append("Host overhead of direct_exec with a CUDA graph: not measured.")
        met = [r["met"] for r in s if r["met"] is not None]
        lines.append("")
        lines.append(f"Targets met: {sum(met)} of {len(met)} measured rows "
                     f"(batch 1: >= {TARGETS[1]}x, batch 32: >= {TARGETS[32]}x over the best PyTorch).")
        notes = []
        for (m, b), row in sorted(self.rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            for v, r in sorted(row.items()):
                st = r.get("status")
                if st != "ok":
                    why = " / ".join(str(r.get("note") or r.get("error", "")).splitlines())
                    notes.append(f"- {m} b{b} {v}: {st}: {why}"[:400])
                elif r.get("finite") is False:
                    notes.append(f"- {m} b{b} {v}: output has non-finite values")
                elif v == "ours:graph" and r.get("graph_captures", 1) != 1:
                    notes.append(f"- {m} b{b} ours:graph: recorded {r.get('graph_captures')} times")
        if notes:
            lines += ["", "Notes (what was tried, skipped or failed):", *notes]
        return "\n".join(lines) + "\n"

    def result_paths(self):
        slug = re.sub(r"[^a-z0-9]+", "-", self.meta.get("gpu", "unknown").lower()).strip("-")
        base = f"{self.meta.get('date', 'unknown-date')}-{slug or 'unknown'}"
        dirs = [self.args.results_dir]
        if self.args.out:
            dirs.append(os.path.join(self.args.out, "bench", "results"))
        return [os.path.join(d, base) for d in dirs]

    def save(self):
        if not self.meta:
            return
        with self.lock:
            doc = {"meta": self.meta, "summary": self.summary_rows(), "events": list(self.events),
                   "results": [{"model": m, "batch": b, "variant": v, **r}
                               for (m, b), row in sorted(self.rows.items()) for v, r in row.items()]}
            md = self.markdown()
        for base in self.result_paths():
            try:
                os.makedirs(os.path.dirname(base), exist_ok=True)
                with open(base + ".json", "w") as f:
                    json.dump(doc, f, indent=1, default=str)
                with open(base + ".md", "w") as f:
                    f.write(md)
            except OSError as e:
                log(f"cannot write {base}: {e}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--models", default=",".join(ALL_MODELS))
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--iterations", type=int, default=200, help="timed calls per variant (default 200)")
    ap.add_argument("--warmup", type=int, default=30, help="untimed calls first (default 30)")
    ap.add_argument("--host-calls", type=int, default=500,
                    help="direct_exec calls timed on the host at batch 1 (a tenth at other batches)")
    ap.add_argument("--budget", type=float, default=530.0,
                    help="seconds from start for everything (default 530)")
    ap.add_argument("--prep-budget", type=float, default=240.0,
                    help="seconds from start for the prepare phase (default 240)")
    ap.add_argument("--compile-modes", default="reduce-overhead,max-autotune")
    ap.add_argument("--max-autotune-batches", default="1",
                    help="batches at which max-autotune is tried (default 1; its compile is long)")
    ap.add_argument("--prefetch-workers", type=int, default=4,
                    help="torch.compile processes at once in the prepare phase (default 4)")
    ap.add_argument("--compile-workers", type=int, default=2,
                    help="compile-and-time processes at once while measuring (default 2; 1 = "
                         "no compile overlaps a measurement)")
    ap.add_argument("--engine-tool", default=os.path.join(REPO, ".gpu", "bin", "trtutils-bench-engine"))
    ap.add_argument("--engine-timeout", type=float, default=240.0,
                    help="seconds for one engine-tool run (build when not cached, then timing)")
    ap.add_argument("--work-dir", default="/tmp/trtutils-bench",
                    help="exports, engines, timing cache, compile markers (reused across runs)")
    ap.add_argument("--out", default=os.environ.get("OUT"), help="also write results and logs here")
    ap.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-engine", action="store_true", help="PyTorch only")
    ap.add_argument("--no-compile", action="store_true", help="no torch.compile variants")
    ap.add_argument("--no-prefetch", action="store_true", help="no compile in the prepare phase")
    ap.add_argument("--serial-compile", action="store_true",
                    help="compile variants after all other measurements, one process at a time")
    args = ap.parse_args()

    if args.worker:
        return worker_main(json.loads(args.worker))

    unknown = [m for m in args.models.split(",") if m.strip() and m.strip() not in ALL_MODELS]
    bad_modes = [m for m in args.compile_modes.split(",") if m.strip() and m.strip() not in COMPILE_MODES]
    if unknown or bad_modes or args.iterations < 1:
        print(f"unknown model(s) {unknown} / compile mode(s) {bad_modes}; known: {ALL_MODELS}, "
              f"{list(COMPILE_MODES)}; --iterations >= 1", file=sys.stderr)
        return 2
    if args.iterations < 200:
        print(f"!! --iterations {args.iterations} < 200: below the issue's minimum", flush=True)
    if args.serial_compile:
        args.compile_workers = 1
    args.engine_tool = os.path.abspath(args.engine_tool)
    os.makedirs(args.work_dir, exist_ok=True)
    if args.out:
        os.makedirs(args.out, exist_ok=True)

    def on_term(signum, frame):  # timeout(1) -> stop the children (own sessions), keep results
        raise SystemExit(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)

    bench = Bench(args)
    bench.collect_meta()
    bench.note(f"{bench.meta['gpu']}, driver {bench.meta['driver']}, torch {bench.meta['torch']}; "
               f"models {','.join(bench.models)}; batches {args.batches}; budget {args.budget:.0f}s")
    rc = 0
    try:
        bench.prepare()
        if args.serial_compile:
            # Compile workers only after everything else: start none while measuring.
            saved, args.no_compile = args.no_compile, True
            bench.measure()
            args.no_compile = saved
            if not args.no_compile:
                bench.pending_workers = [(m, bench.compile_variants(m)) for m in bench.models]
                bench.workers = []
                bench._start_workers()
                while (bench.workers or bench.pending_workers) and bench.remaining() > 5:
                    bench._service_workers(block=0.5)
                for w in bench.workers:
                    w["child"].kill()
                    bench._finish_worker(w, "budget")
                for m, variants in bench.pending_workers:
                    for v in variants:
                        bench._skip(m, v["batch"], f"compile:{v['mode']}", "budget")
        else:
            bench.measure()
    except (Exception, SystemExit):  # noqa: BLE001 - keep what was measured
        traceback.print_exc()
        rc = 1
    finally:
        for c in Child.every:
            if c.alive():
                c.kill()
    bench.note("done")
    bench.save()
    md = bench.markdown()
    paths = bench.result_paths()
    print("\n" + md, flush=True)
    print("results: " + ", ".join(p + ".md/.json" for p in paths), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
