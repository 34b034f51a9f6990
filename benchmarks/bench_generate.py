"""Plain ``generate()`` against the engine's step decoder, same run, same inputs.

    python benchmarks/bench_generate.py                 # tiny random GLM-4.1V on this machine
    python benchmarks/bench_generate.py --full-size     # GLM-4.1V-9B's dimensions, random weights (GPU)

Each path decodes step 2 of a task (step 1 has been decoded just before, so the decoder
holds the system prompt and history) for 60 and 300 new tokens with end tokens switched
off, so every path produces exactly that many. Reported: prefill ms (to the first token,
vision included), decode ms per token, tokens/s, and whether the tokens equal generate()'s.
Random weights make near-ties between logits common in bf16, so at full size a path that
sums in another order may part from generate() after a while; the first differing
position is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from benchtools import cpu_model  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.perception.observation import Observation  # noqa: E402
from autoagent.policy.base import StepInput, Turn  # noqa: E402
from autoagent.policy.decode import GreedyDecoder  # noqa: E402
from autoagent.policy.images import DEFAULT_MAX_PIXELS  # noqa: E402
from autoagent.policy.local_engine import LocalGLMPolicy  # noqa: E402
from autoagent.policy.tiny import build_tiny_glm  # noqa: E402


def steps() -> list[StepInput]:
    out, history = [], ()
    for i in range(2):
        image = Image.fromarray(np.random.default_rng(i).integers(0, 255, (2400, 1080, 3), dtype=np.uint8))
        out.append(StepInput(task="Turn on Wi-Fi in Settings", step=i + 1, history=history,
                             observation=Observation(image, app="com.android.settings")))
        history = history + (Turn(thought="Open Settings.", answer='do(action="Launch", app="Settings")'),)
    return out


def full_size(engine: LocalGLMPolicy, dtype: str) -> None:
    """Swap in a random-weight Glm4v with GLM-4.1V-9B's dimensions (transformers' Glm4vConfig
    defaults), keeping the tiny tokenizer's special-token ids."""
    import torch
    from transformers import Glm4vConfig, Glm4vForConditionalGeneration
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    tiny = engine._model.config
    config = Glm4vConfig(image_token_id=tiny.image_token_id, video_token_id=tiny.video_token_id,
                         image_start_token_id=tiny.image_start_token_id, image_end_token_id=tiny.image_end_token_id,
                         video_start_token_id=tiny.video_start_token_id, video_end_token_id=tiny.video_end_token_id)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    with engine._device:
        model = Glm4vForConditionalGeneration._from_config(config, dtype=getattr(torch, dtype),
                                                           attn_implementation="sdpa")
    engine._model = model.eval()
    engine.image_processor = Glm4vImageProcessorPil()
    engine._max_pixels = min(DEFAULT_MAX_PIXELS, engine.image_processor.size["longest_edge"])
    engine._threads = None


def plain(engine: LocalGLMPolicy, batch: dict[str, Any], n: int) -> dict[str, Any]:
    import torch
    from transformers import GenerationConfig, StoppingCriteria

    class FirstToken(StoppingCriteria):
        first: float | None = None

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            if self.first is None:
                _sync(engine)
                self.first = time.perf_counter()
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    config = GenerationConfig(do_sample=False, max_new_tokens=n, eos_token_id=None, pad_token_id=engine.pad_id)
    watch = FirstToken()
    _sync(engine)
    started = time.perf_counter()
    with torch.inference_mode(), engine._threads_for_step():
        out = engine._model.generate(**batch, generation_config=config, stopping_criteria=[watch])
    _sync(engine)
    done = time.perf_counter()
    tokens = out[0, batch["input_ids"].shape[1]:].tolist()
    return {"tokens": tokens, "prefill_ms": (watch.first - started) * 1000, "total_ms": (done - started) * 1000}


def ours(engine: LocalGLMPolicy, decoder: GreedyDecoder, warm: dict[str, Any], batch: dict[str, Any],
         n: int) -> dict[str, Any]:
    with engine._threads_for_step():
        decoder.reset()
        decoder.run(warm, n)  # step 1: leaves the shared prefix in the cache
        _sync(engine)
        result = decoder.run(batch, n)
        _sync(engine)
    return {"tokens": result.tokens, "prefill_ms": result.prefill_ms, "total_ms": result.total_ms,
            "reused": result.reused}


def _sync(engine: LocalGLMPolicy) -> None:
    import torch

    if engine._device.type == "cuda":
        torch.cuda.synchronize(engine._device)


def device_name(engine: LocalGLMPolicy) -> str:
    import torch

    if engine._device.type == "cuda":
        return torch.cuda.get_device_name(engine._device)
    return f"{cpu_model()} ({os.cpu_count()} cores)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-size", action="store_true", help="GLM-4.1V-9B dimensions, random weights (needs a GPU)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="bfloat16", help="full size only: bfloat16 or float32")
    parser.add_argument("--tokens", default="60,300")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    import torch

    with tempfile.TemporaryDirectory() as folder:
        build_tiny_glm(folder)
        engine = LocalGLMPolicy(folder, device=args.device, fast=True)
    if args.full_size:
        full_size(engine, args.dtype)
    step1, step2 = steps()
    warm = engine._batch(engine.inputs_for(step1))
    batch = engine._batch(engine.inputs_for(step2))
    on_cuda = engine._device.type == "cuda"
    paths: dict[str, GreedyDecoder | None] = {
        "generate()": None,
        "ours (dynamic KV)": GreedyDecoder(engine._model, [], static=False),
        "ours (static KV)": GreedyDecoder(engine._model, [], static=True),
    }
    if on_cuda:
        paths["ours (static KV + CUDA graphs)"] = GreedyDecoder(engine._model, [], static=True, compile=True)

    size = "full-size (GLM-4.1V-9B dims, random)" if args.full_size else "tiny (random)"
    meta = {"device": device_name(engine), "date": dt.datetime.now().isoformat(timespec="seconds"),
            "model": size, "params": sum(p.numel() for p in engine._model.parameters()),
            "dtype": str(engine._model.dtype), "torch": torch.__version__,
            "threads": engine._threads or torch.get_num_threads(),
            "prompt_tokens": int(batch["input_ids"].shape[1]), "repeats": args.repeats}
    results: dict[str, Any] = {}
    for n in [int(x) for x in args.tokens.split(",")]:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in paths}
        for _ in range(args.repeats + 1):  # the first round warms up (and compiles) and is dropped
            for name, decoder in paths.items():
                runs[name].append(plain(engine, batch, n) if decoder is None else ours(engine, decoder, warm, batch, n))
        reference = runs["generate()"][-1]["tokens"]
        table = {}
        for name, rows in runs.items():
            rows = rows[1:]
            prefill = statistics.median(r["prefill_ms"] for r in rows)
            total = statistics.median(r["total_ms"] for r in rows)
            tokens = rows[-1]["tokens"]
            step_ms = (total - prefill) / max(1, len(tokens) - 1)
            differ = next((i for i, (a, b) in enumerate(zip(tokens, reference)) if a != b), None)
            if differ is None and len(tokens) != len(reference):
                differ = min(len(tokens), len(reference))
            table[name] = {"prefill_ms": round(prefill, 2), "step_ms": round(step_ms, 3),
                           "tok_s": round(1000 / step_ms, 1) if step_ms > 0 else 0.0,
                           "total_ms": round(total, 2), "new_tokens": len(tokens),
                           "reused_prompt_tokens": rows[-1].get("reused", 0),
                           "identical": differ is None, "first_difference": differ}
        results[str(n)] = table

    print(f"greedy decoding — {meta['device']}, {meta['date']}")
    print(f"model {size}, {meta['params'] / 1e6:.1f} M params, {meta['dtype']}, torch {meta['torch']}, "
          f"{meta['threads']} threads, prompt {meta['prompt_tokens']} tokens (step 2 of a task)")
    for n, table in results.items():
        print(f"\n{n} new tokens")
        print(f"{'path':32}{'prefill ms':>12}{'step ms':>10}{'tok/s':>9}{'total ms':>11}{'reused':>8}  same as generate()")
        for name, r in table.items():
            same = "yes" if r["identical"] else f"no (from token {r['first_difference']})"
            print(f"{name:32}{r['prefill_ms']:>12.1f}{r['step_ms']:>10.2f}{r['tok_s']:>9.1f}{r['total_ms']:>11.1f}"
                  f"{r['reused_prompt_tokens']:>8}  {same}")
    out = args.json or Path("benchmarks/results") / ("generate_full.json" if args.full_size else "generate_tiny.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
