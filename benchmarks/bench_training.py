"""Training steps per second of the embedded policy's model on this CPU: the step as
``autoagent train`` runs it, against the model building its own attention mask in every layer
(``--compare mask``), or in fp32 against bf16 autocast (``--compare precision``: which of the two
``autoagent train`` picks on this CPU is printed).

Both models start from the same weights and take turns on the same batches of real
demonstration rows (batches of similar length, as training draws them), compiled, in the
precision training picks on this CPU (``--compare mask``), plain-matmul attention, so that a
noisy machine slows both alike.

    python benchmarks/bench_training.py                   # collects 60 demonstration episodes first
    python benchmarks/bench_training.py --data runs/cpu/data --rounds 6
    python benchmarks/bench_training.py --data runs/cpu/data --compare precision --json benchmarks/results/training_precision.json

Prints a table and writes JSON (``--json PATH``, default: benchmarks/results/training.json).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchtools import cpu_model  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.policy.pointers import pointer_vectors
from autoagent.training import train as training
from autoagent.training.rows import SPLIT_FILES, read_rows
from autoagent.training.train import (SIZES, TrainConfig, apply_gradient, batch_losses, batches, build_model,
                                      build_tokenizer, compile_language_model, encode_rows, hidden_states,
                                      model_hidden_states, precision, training_attention)


@contextlib.contextmanager
def bf16_autocast(enabled: bool):
    """Training's autocast on or off, whatever this CPU would pick."""
    chosen = training.fast_bf16
    training.fast_bf16 = lambda: enabled
    try:
        yield
    finally:
        training.fast_bf16 = chosen


def training_step(model, optimizer, forward, chunk, config: TrainConfig, tokenizer, bf16: bool | None = None) -> None:
    with bf16_autocast(bf16) if bf16 is not None else contextlib.nullcontext():
        *_, total = batch_losses(model, chunk, tokenizer.pad_token_id, pointer_vectors(model, tokenizer), config,
                                 forward)
    apply_gradient(model, optimizer, total, config.clip)


# Each comparison: (name, forward pass, bf16 autocast or None for this CPU's choice), the baseline first.
COMPARISONS = {
    "mask": (("model builds the mask in each layer", model_hidden_states, None),
             ("autoagent train (mask built once)", hidden_states, None)),
    "precision": (("fp32", hidden_states, False), ("bf16 autocast", hidden_states, True)),
}


def demonstration_rows(episodes: int) -> list[dict]:
    from emulator.training.demos import collect

    with tempfile.TemporaryDirectory() as folder:
        collect(folder, "train", episodes, progress=False, phrasings=2)
        return read_rows(Path(folder) / SPLIT_FILES["train"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a demonstrations folder (train.jsonl) [default: collect 60 episodes]")
    parser.add_argument("--rows", type=int, default=4000, help="rows drawn from it [default: 4000]")
    parser.add_argument("--batch", type=int, default=16, help="examples per step, as the recipe trains [default: 16]")
    parser.add_argument("--steps", type=int, default=20, help="steps per model per round [default: 20]")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, the models taking turns [default: 4]")
    parser.add_argument("--size", choices=sorted(SIZES), default="small", help="model size [default: small]")
    parser.add_argument("--threads", type=int, default=2, help="torch threads [default: 2]")
    parser.add_argument("--compare", choices=sorted(COMPARISONS), default="mask",
                        help="mask: the mask built once against in every layer; precision: fp32 against bf16 "
                             "autocast [default: mask]")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "training.json")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    rows = read_rows(args.data / SPLIT_FILES["train"]) if args.data else demonstration_rows(60)
    random.Random(0).shuffle(rows)
    rows = rows[:args.rows]
    tokenizer = build_tokenizer([r["prompt"] + "\n" + r["target"] for r in rows], SIZES[args.size].vocab)
    examples = encode_rows(rows, tokenizer)
    config = TrainConfig(data="", out="", batch=args.batch)
    order = batches([len(e.ids) for e in examples], args.batch, random.Random(0))
    needed = args.rounds * args.steps + 3
    chunks = [[examples[i] for i in order[k % len(order)]] for k in range(needed)]

    base = build_model(tokenizer, SIZES[args.size], seed=0).train()
    base.set_attn_implementation(training_attention("cpu"))
    runs = {}
    for name, forward, bf16 in COMPARISONS[args.compare]:
        model = copy.deepcopy(base)
        compile_language_model(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        for chunk in chunks[:3]:  # the compiler's first batches
            training_step(model, optimizer, forward, chunk, config, tokenizer, bf16)
        runs[name] = {"model": model, "optimizer": optimizer, "forward": forward, "bf16": bf16, "rates": []}
    for number in range(args.rounds):
        for run in runs.values():
            part = chunks[3 + number * args.steps: 3 + (number + 1) * args.steps]
            started = time.perf_counter()
            for chunk in part:
                training_step(run["model"], run["optimizer"], run["forward"], chunk, config, tokenizer, run["bf16"])
            seconds = time.perf_counter() - started
            run["rates"].append(sum(len(c) for c in part) / seconds)

    tokens = statistics.mean(len(e.ids) for e in examples)
    table = {name: {"examples_per_s_median": round(statistics.median(run["rates"]), 1),
                    "examples_per_s_rounds": [round(r, 1) for r in run["rates"]]} for name, run in runs.items()}
    baseline, ours = (table[name]["examples_per_s_median"] for name in runs)
    result = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "cpu": cpu_model(),
              "python": platform.python_version(), "torch": torch.__version__, "threads": args.threads,
              "size": args.size, "compare": args.compare, "precision": precision("cpu"), "batch": args.batch,
              "rows": len(rows),
              "mean_tokens": round(tokens, 1), "steps_per_round": args.steps, "rounds": args.rounds,
              "runs": table, "speedup": round(ours / baseline, 3)}
    print(f"training steps, {result['cpu']}, {args.threads} threads, {result['date']}; model {args.size}, "
          f"batches of {args.batch}, {len(rows)} rows of {tokens:.0f} tokens on average; "
          f"autoagent train picks {result['precision']} here")
    print(f"{'':40} {'examples/s (median of rounds)':>30}   rounds")
    for name, entry in table.items():
        print(f"{name:40} {entry['examples_per_s_median']:>30.1f}   {entry['examples_per_s_rounds']}")
    print(f"speed-up: x{result['speedup']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
