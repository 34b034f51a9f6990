"""Plain ``generate()`` against the engine's step decoder, same run, same inputs.

    python benchmarks/bench_generate.py                 # tiny random GLM-4.1V on this machine
    python benchmarks/bench_generate.py --scaled --threads 1   # GLM-4.1V cut to CPU size, AutoGLM's prompt
    python benchmarks/bench_generate.py --full-size     # GLM-4.1V-9B's dimensions, random weights (GPU)

Each path decodes step 2 of a task (step 1 has been decoded just before, so the decoder
holds the system prompt; "prefill ahead" has also encoded step 2's task and history, as the
agent has it done while the device acts) for 60 and 300 new tokens with end tokens switched
off, so every path produces exactly that many. Reported: prefill ms (to the first token,
vision included), decode ms per token, the whole step, each against generate(), and whether
the tokens equal generate()'s. With --scaled and --full-size the run also measures what the
screenshot's resolution costs (image tokens, vision encoder, a step's prefill) and what a
re-ask of an unchanged screen saves by reusing its vision encoding. On a CPU the times are
the process's CPU time (see _clock), on a GPU wall time.
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
from autoagent.policy.images import DEFAULT_MAX_PIXELS, image_tokens, target_size  # noqa: E402
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


# GLM-4.1V-9B's text RoPE (its config.json): half of each 128-wide head rotates, in 3D sections.
GLM41V_ROPE = {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
               "mrope_section": [8, 12, 12]}
# GLM-4.1V cut to this CPU's size: 128-wide heads with grouped KV and 3D RoPE, the real vision
# patching and merge; fewer, narrower layers, and the tiny tokenizer's vocabulary (GLM's 151,552
# rows would make the output layer 97% of the model, against 7% in GLM-4.1V-9B).
SCALED_TEXT = {"hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 2,
               "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 32768,
               "rope_parameters": GLM41V_ROPE}
SCALED_VISION = {"depth": 1, "hidden_size": 64, "num_heads": 1, "intermediate_size": 128, "out_hidden_size": 256,
                 "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2}
# The vision tower attends over all of a screen's patches at once (12,432 for 1080x2400): on two
# CPU cores that alone takes seconds, so the scaled decoding comparison shows the screen at about
# a tenth of GLM-4.1V's budget (330 image tokens); the vision table covers the full budget.
SCALED_MAX_PIXELS = 500_000
FULL_TEXT = {"max_position_embeddings": 65536, "rope_parameters": GLM41V_ROPE}  # the rest: Glm4vConfig's defaults


def swap_model(engine: LocalGLMPolicy, dtype: str, text: dict[str, Any], vision: dict[str, Any]) -> None:
    """Swap in a random-weight Glm4v of the given dimensions (Glm4vConfig's defaults, GLM-4.1V-9B's,
    for what is not given), keeping the tiny tokenizer's special-token ids, with GLM-4.1V's own
    image processor and pixel budget (a 1080x2400 screen: 3,108 image tokens)."""
    import torch
    from transformers import Glm4vConfig, Glm4vForConditionalGeneration
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    tiny = engine._model.config
    config = Glm4vConfig(text_config=text, vision_config=vision,
                         image_token_id=tiny.image_token_id, video_token_id=tiny.video_token_id,
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
    engine.decoder = GreedyDecoder(engine._model, [])


def plain(engine: LocalGLMPolicy, batch: dict[str, Any], n: int) -> dict[str, Any]:
    import torch
    from transformers import GenerationConfig, StoppingCriteria

    class FirstToken(StoppingCriteria):
        first: float | None = None

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            if self.first is None:
                self.first = _clock(engine)
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    config = GenerationConfig(do_sample=False, max_new_tokens=n, eos_token_id=None, pad_token_id=engine.pad_id)
    watch = FirstToken()
    with torch.inference_mode(), engine._threads_for_step():
        started = _clock(engine)
        out = engine._model.generate(**batch, generation_config=config, stopping_criteria=[watch])
        done = _clock(engine)
    tokens = out[0, batch["input_ids"].shape[1]:].tolist()
    return {"tokens": tokens, "prefill_ms": (watch.first - started) * 1000, "total_ms": (done - started) * 1000}


def ours(engine: LocalGLMPolicy, decoder: GreedyDecoder, warm: dict[str, Any], batch: dict[str, Any],
         n: int, prefix: list[int] | None = None) -> dict[str, Any]:
    """Step 1 (its first token only: it leaves the shared prefix in the cache, and a cache sized
    as for n tokens), then, with ``prefix``, the background prefill the agent runs while the
    device acts (timed apart: the step does not wait for it), then the measured step 2."""
    ahead_ms, first = 0.0, []

    def note_first(tokens: list[int]) -> bool:  # asked after every token, as the engine's stop check is
        if not first:
            first.append(_clock(engine))
        return False

    with engine._threads_for_step():
        decoder.reset()
        decoder.run(warm, n, done=lambda tokens: True)
        if prefix is not None:
            started = _clock(engine)
            decoder.prefill(prefix)
            ahead_ms = (_clock(engine) - started) * 1000
        started = _clock(engine)
        result = decoder.run(batch, n, done=note_first)
        done = _clock(engine)
    return {"tokens": result.tokens, "prefill_ms": (first[0] - started) * 1000, "total_ms": (done - started) * 1000,
            "reused": result.reused, "ahead_ms": ahead_ms}


def _clock(engine: LocalGLMPolicy) -> float:
    """Seconds: on a GPU wall time (after a sync); on a CPU the process's CPU time, which other
    jobs on a shared machine do not inflate the way they do wall time (run with --threads 1
    there, so that no time is spent spinning in idle OpenMP threads)."""
    _sync(engine)
    return time.perf_counter() if engine._device.type == "cuda" else time.process_time()


def _sync(engine: LocalGLMPolicy) -> None:
    import torch

    if engine._device.type == "cuda":
        torch.cuda.synchronize(engine._device)


def device_name(engine: LocalGLMPolicy) -> str:
    import torch

    if engine._device.type == "cuda":
        return torch.cuda.get_device_name(engine._device)
    return f"{cpu_model()} ({os.cpu_count()} cores)"


# Pixel budgets for the vision cost: GLM-4.1V's (a 1080x2400 screen: 3,108 image tokens), about a
# third of it, about a tenth.
VISION_BUDGETS = (DEFAULT_MAX_PIXELS, 1_600_000, 500_000)


def upcoming(step1: StepInput, step2: StepInput) -> StepInput:
    """What the agent hands prepare_next after step 1: step 2's history, step 1's screen."""
    return StepInput(task=step2.task, step=step2.step, history=step2.history, observation=step1.observation)


def reask_of(step: StepInput) -> StepInput:
    """The re-ask after a reply with no valid action: the same screen, captured again."""
    shot = step.observation.screenshot.copy()
    bad = Turn(thought="", answer="<think>The screen shows", feedback="Your reply had no valid action. Reply with one action.")
    return StepInput(task=step.task, step=step.step + 1, history=(*step.history, bad),
                     observation=Observation(shot, app=step.observation.app))


def vision_cost(engine: LocalGLMPolicy, step1: StepInput, step2: StepInput, repeats: int) -> list[dict[str, Any]]:
    """Per pixel budget: image tokens, the vision encoder's ms, the prefill of step 2 with its task
    and history already encoded (what a step pays for its screen), and the prefill of a re-ask of
    that screen with its vision encoding reused and encoded again (the image's KV cannot be kept:
    it sits after the history, which a re-ask changes)."""
    import torch

    rows = []
    budget_before = engine._max_pixels
    decoder = GreedyDecoder(engine._model, [])
    prefix = engine.prompt_prefix(upcoming(step1, step2))
    for budget in VISION_BUDGETS:
        print(f"vision cost at {budget:,} pixels", file=sys.stderr, flush=True)
        engine._max_pixels = budget
        batch = engine._batch(engine.inputs_for(step2))
        reask = engine._batch(engine.inputs_for(reask_of(step2)))
        times: dict[str, list[float]] = {"vision": [], "prefill": [], "reask_reused": [], "reask_encoded": []}
        reused_screen = False  # transformers before 5.x cannot take an encoding in: every re-ask encodes
        for _ in range(repeats + 1):  # the first round warms up and is dropped
            with torch.inference_mode(), engine._threads_for_step():
                started = _clock(engine)
                engine._model.model.get_image_features(batch["pixel_values"], batch["image_grid_thw"])
                times["vision"].append((_clock(engine) - started) * 1000)
                for reuse in (True, False):
                    decoder.reset()
                    decoder.prefill(prefix)
                    started = _clock(engine)
                    decoder.run(batch, 1)
                    if reuse:
                        times["prefill"].append((_clock(engine) - started) * 1000)
                    else:
                        decoder._screen = None  # as before the reuse: the re-ask encodes its screen
                    started = _clock(engine)
                    result = decoder.run(reask, 1)
                    times["reask_reused" if reuse else "reask_encoded"].append((_clock(engine) - started) * 1000)
                    reused_screen = result.vision_reused if reuse else reused_screen
        width, height = target_size(*step2.observation.screenshot.size, budget)
        ms = {k: statistics.median(v[1:]) for k, v in times.items()}
        rows.append({"max_pixels": budget, "image": f"{width}x{height}", "image_tokens": image_tokens(width, height),
                     "prompt_tokens": int(batch["input_ids"].shape[1]), "vision_ms": round(ms["vision"], 1),
                     "step_prefill_ms": round(ms["prefill"], 1), "vision_share": round(ms["vision"] / ms["prefill"], 3),
                     "reask_prefill_ms": round(ms["reask_encoded"], 1),
                     "reask_prefill_vision_reused_ms": round(ms["reask_reused"], 1), "reask_reused_vision": reused_screen})
    engine._max_pixels = budget_before
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--scaled", action="store_true", help="GLM-4.1V cut to CPU size, the real prompt shape")
    size.add_argument("--full-size", action="store_true", help="GLM-4.1V-9B dimensions, random weights (needs a GPU)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default=None, help="scaled and full size: bfloat16 or float32 "
                        "(default: bfloat16 on CUDA, float32 on a CPU)")
    parser.add_argument("--max-pixels", type=int, default=None, help="the screenshot's pixel budget for the "
                        f"decoding comparison (default: {SCALED_MAX_PIXELS:,} scaled, {DEFAULT_MAX_PIXELS:,} full size)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: the engine's choice)")
    parser.add_argument("--tokens", default="60,300")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-vision", action="store_true", help="skip the vision cost")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    import torch

    with tempfile.TemporaryDirectory() as folder:
        build_tiny_glm(folder)
        engine = LocalGLMPolicy(folder, device=args.device, fast=True)
    dtype = args.dtype or ("bfloat16" if engine._device.type == "cuda" else "float32")
    if args.full_size:
        swap_model(engine, dtype, FULL_TEXT, {})
    elif args.scaled:
        vocab = engine._model.config.text_config.vocab_size
        swap_model(engine, dtype, {"vocab_size": vocab, **SCALED_TEXT}, SCALED_VISION)
        engine._max_pixels = SCALED_MAX_PIXELS
    if args.max_pixels:
        engine._max_pixels = args.max_pixels
    if args.threads:
        engine._threads = args.threads
    step1, step2 = steps()
    warm = engine._batch(engine.inputs_for(step1))
    batch = engine._batch(engine.inputs_for(step2))
    prefix = engine.prompt_prefix(upcoming(step1, step2))
    on_cuda = engine._device.type == "cuda"
    paths: dict[str, GreedyDecoder | None] = {
        "generate()": None,
        "ours (dynamic KV)": GreedyDecoder(engine._model, [], static=False),
        "ours (static KV)": GreedyDecoder(engine._model, [], static=True),
    }
    if on_cuda:
        paths["ours (static KV + CUDA graphs)"] = GreedyDecoder(engine._model, [], static=True, compile=True)
        ahead = ("ours + prefill ahead (static KV + CUDA graphs)",
                 GreedyDecoder(engine._model, [], static=True, compile=True))
    else:
        ahead = ("ours + prefill ahead (dynamic KV)", GreedyDecoder(engine._model, [], static=False))
    paths[ahead[0]] = ahead[1]

    label = ("full-size (GLM-4.1V-9B dims, random)" if args.full_size else
             "scaled (GLM-4.1V cut to CPU size, random)" if args.scaled else "tiny (random)")
    text_config = engine._model.config.text_config
    meta = {"device": device_name(engine), "date": dt.datetime.now().isoformat(timespec="seconds"),
            "model": label, "params": sum(p.numel() for p in engine._model.parameters()),
            "layers": text_config.num_hidden_layers, "hidden": text_config.hidden_size,
            "dtype": str(engine._model.dtype), "torch": torch.__version__,
            "threads": engine._threads or torch.get_num_threads(),
            "prompt_tokens": int(batch["input_ids"].shape[1]),
            "max_pixels": engine._max_pixels, "image_tokens": int(batch["mm_token_type_ids"].sum()),
            "prefix_tokens": len(prefix),
            "repeats": args.repeats, "clock": "wall time" if on_cuda else "CPU time of the process"}
    results: dict[str, Any] = {}
    for n in [int(x) for x in args.tokens.split(",")]:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in paths}
        for round_ in range(args.repeats + 1):  # the first round warms up (and compiles) and is dropped
            print(f"{n} new tokens, round {round_ + 1} of {args.repeats + 1}", file=sys.stderr, flush=True)
            for name, decoder in paths.items():
                runs[name].append(plain(engine, batch, n) if decoder is None else
                                  ours(engine, decoder, warm, batch, n, prefix if decoder is ahead[1] else None))
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
                           "ahead_ms": round(statistics.median(r.get("ahead_ms", 0.0) for r in rows), 2),
                           "identical": differ is None, "first_difference": differ}
        base = table["generate()"]
        for r in table.values():
            # How many times faster than generate(): prefill, a decode step, the whole step.
            r["vs_generate"] = {k: round(base[k] / r[k], 2) if r[k] > 0 else 0.0
                                for k in ("prefill_ms", "step_ms", "total_ms")}
        results[str(n)] = table
    vision = [] if args.no_vision or not (args.scaled or args.full_size) else \
        vision_cost(engine, step1, step2, max(1, args.repeats - 1))

    print(f"greedy decoding — {meta['device']}, {meta['date']}; {meta['clock']}, median of {args.repeats}")
    print(f"model {label}, {meta['params'] / 1e6:.1f} M params ({meta['layers']} layers x {meta['hidden']}), "
          f"{meta['dtype']}, torch {meta['torch']}, {meta['threads']} threads; prompt {meta['prompt_tokens']} "
          f"tokens ({meta['image_tokens']} image, {meta['prefix_tokens']} before the screenshot; step 2 of a task)")
    for n, table in results.items():
        print(f"\n{n} new tokens (x: times faster than generate())")
        print(f"{'path':48}{'prefill ms':>12}{'x':>6}{'ms/token':>10}{'x':>6}{'step ms':>10}{'x':>6}"
              f"{'reused':>8}{'ahead ms':>10}  same as generate()")
        for name, r in table.items():
            same = "yes" if r["identical"] else f"no (from token {r['first_difference']})"
            x = r["vs_generate"]
            print(f"{name:48}{r['prefill_ms']:>12.1f}{x['prefill_ms']:>6.2f}{r['step_ms']:>10.2f}{x['step_ms']:>6.2f}"
                  f"{r['total_ms']:>10.1f}{x['total_ms']:>6.2f}{r['reused_prompt_tokens']:>8}{r['ahead_ms']:>10.1f}"
                  f"  {same}")
    if vision:
        print("\nscreenshot resolution (1080x2400 screen; step prefill with the task and history already encoded)")
        print(f"{'max pixels':>11}{'image':>10}{'image tok':>11}{'prompt tok':>12}{'vision ms':>11}"
              f"{'prefill ms':>12}{'vision share':>14}{'re-ask ms':>11}{'re-ask, vision reused':>23}")
        for v in vision:
            print(f"{v['max_pixels']:>11}{v['image']:>10}{v['image_tokens']:>11}{v['prompt_tokens']:>12}"
                  f"{v['vision_ms']:>11.1f}{v['step_prefill_ms']:>12.1f}{v['vision_share']:>14.0%}"
                  f"{v['reask_prefill_ms']:>11.1f}{v['reask_prefill_vision_reused_ms']:>23.1f}")
    name = "generate_full.json" if args.full_size else "generate_scaled.json" if args.scaled else "generate_tiny.json"
    out = args.json or Path("benchmarks/results") / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results, "vision": vision}, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
