"""Fit a checkpoint's span head with the model frozen (:mod:`autoagent.policy.span_head`).

    autoagent train --span-head --init ckpt/policy --data data/demos --out ckpt/policy-spans

1. Keep the rows whose answer types a span of the goal (``type 3 4``): demonstrations and
   corrections, each row once.
2. Run the frozen model once over them, in float32 as inference on the CPU computes, and keep
   each goal word's last hidden state: the head's only input. No gradient reaches the model,
   so nothing it does elsewhere (taps, launches, scrolls) can change.
3. Fit the head: AdamW, cross-entropy of the corrected start and end scores over the goal's
   words, a fixed number of passes in a seeded order.
4. Write ``--out``: the checkpoint's files as they were, the head beside them, and its size and
   numbers under ``span_head`` in the policy file.

Held-out span rows (``heldout.jsonl``) are scored before and after: the share whose best span
(:meth:`~autoagent.policy.pointers.PointerScores.ranked_spans`, as the engine ranks them) is
the expert's.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autoagent.training.progress import Progress, clock
from autoagent.training.rows import DAGGER_FILE, SPLIT_FILES, read_rows
from autoagent.training.train import (POLICY_FILE, STATE_FILE, Example, collate, encode_rows, hidden_states,
                                      load_tokenizer, swap_in)

PASSES = 12
BATCH = 64


def span_examples(rows: list[dict], tokenizer, workers: int) -> list[Example]:
    """The rows that type a span of the goal, tokenised; order kept."""
    typed = [row for row in rows if row["target"].startswith("type ") and not row["target"].startswith('type "')]
    return [e for e in encode_rows(typed, tokenizer, workers) if e.span is not None and e.span[1] < len(e.words)]


def word_states(model, examples: list[Example], pad: int, progress: bool = True) -> list[Any]:
    """Each example's goal-word hidden states (words, hidden), float32, from one frozen pass."""
    import torch

    order = sorted(range(len(examples)), key=lambda i: len(examples[i].ids))  # less padding
    states: list[Any] = [None] * len(examples)
    bar = Progress(-(-len(order) // BATCH), "reading goal words", progress)
    with torch.inference_mode():
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            input_ids, mask, *_ = collate([examples[i] for i in chunk], pad)
            hidden = hidden_states(model, input_ids, mask).float()
            for row, i in enumerate(chunk):
                states[i] = hidden[row, examples[i].words].clone()
            bar.update()
    return states


def _padded(states: list[Any]) -> tuple[Any, Any]:
    import torch

    lengths = torch.tensor([s.shape[0] for s in states])
    words = torch.zeros(len(states), int(lengths.max()), states[0].shape[1])
    for row, s in enumerate(states):
        words[row, :s.shape[0]] = s
    return words, lengths


def span_scores(head, vectors, states: list[Any]) -> list[Any]:
    """Start and end scores (words, 2) per example: the model's own, corrected by ``head``."""
    import torch

    with torch.no_grad():
        words, lengths = _padded(states)
        scores = words @ vectors.T + (head(words, lengths) if head is not None else 0)
    return [scores[row, :int(n)] for row, n in enumerate(lengths)]


def exact_spans(head, vectors, states: list[Any], spans: list[tuple[int, int]]) -> float:
    """The share of examples whose best span, ranked as the engine ranks them, is the answer's."""
    from autoagent.policy.pointers import PointerScores

    if not states:
        return 0.0
    right = 0
    for scores, span in zip(span_scores(head, vectors, states), spans):
        ranked = PointerScores(elements=[], starts=scores[:, 0].tolist(), ends=scores[:, 1].tolist()).ranked_spans(1)
        right += bool(ranked) and ranked[0] == span
    return right / len(states)


def fit(head, vectors, states: list[Any], spans: list[tuple[int, int]], lr: float, seed: int,
        passes: int = PASSES, after_pass: Callable[[int, float], None] | None = None) -> None:
    import torch

    optimizer = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.01)
    rng = random.Random(seed)
    order = list(range(len(states)))
    for number in range(1, passes + 1):
        rng.shuffle(order)
        head.train()
        total = 0.0
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            words, lengths = _padded([states[i] for i in chunk])
            scores = words @ vectors.T + head(words, lengths)
            valid = torch.arange(words.shape[1])[None, :] < lengths[:, None]
            scores = scores.masked_fill(~valid[..., None], torch.finfo(scores.dtype).min)
            target = torch.tensor([spans[i] for i in chunk])
            loss = (torch.nn.functional.cross_entropy(scores[..., 0], target[:, 0])
                    + torch.nn.functional.cross_entropy(scores[..., 1], target[:, 1])) / 2
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(chunk)
        head.eval()
        if after_pass is not None:
            after_pass(number, total / len(order))


def train_span_head(init: Path, data: Path, out: Path, lr: float = 2e-3, seed: int = 0, threads: int = 2,
                    passes: int = PASSES, log: Callable[[str], None] = print, progress: bool = True) -> dict[str, Any]:
    """Fit ``init``'s span head on ``data``'s typed spans and write the result to ``out``."""
    import torch
    from transformers import Glm4vForConditionalGeneration

    from autoagent.policy.pointers import pointer_vectors
    from autoagent.policy.span_head import SpanHead

    init, data, out = Path(init), Path(data), Path(out)
    if not (init / POLICY_FILE).is_file():
        raise ValueError(f"--init {init} is not a checkpoint written by autoagent train")
    if out.exists() and any(out.iterdir()) and not (out / POLICY_FILE).is_file():
        raise ValueError(f"{out} holds other files; give an empty folder or an earlier checkpoint")
    started = time.perf_counter()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rows = read_rows(data / SPLIT_FILES["train"])
    if (data / DAGGER_FILE).is_file():
        rows += read_rows(data / DAGGER_FILE)
    held_path = data / SPLIT_FILES["eval"]
    held_rows = read_rows(held_path) if held_path.is_file() else []
    tokenizer = load_tokenizer(init)
    examples = span_examples(rows, tokenizer, threads)
    held = span_examples(held_rows, tokenizer, threads)
    if not examples:
        raise ValueError(f"{data} holds no rows that type a span of the goal: nothing to fit the span head on")
    model = Glm4vForConditionalGeneration.from_pretrained(init, local_files_only=True, dtype=torch.float32).eval()
    vectors = pointer_vectors(model, tokenizer).detach().float()
    pad = tokenizer.pad_token_id
    log(f"span head for {init}: {len(examples)} typed spans to fit, {len(held)} held out")
    states = word_states(model, examples, pad, progress)
    held_states = word_states(model, held, pad, progress) if held else []
    spans = [e.span for e in examples]
    held_spans = [e.span for e in held]
    head = SpanHead(model.config.text_config.hidden_size)
    before = exact_spans(None, vectors, held_states, held_spans) if held else None
    if before is not None:
        log(f"held-out spans exactly right, the model alone: {before:.1%}")
    history: list[dict[str, float]] = []

    def after_pass(number: int, loss: float) -> None:
        entry = {"pass": number, "loss": round(loss, 5)}
        if held:
            entry["heldout_exact"] = round(exact_spans(head, vectors, held_states, held_spans), 4)
        history.append(entry)
        log(f"pass {number}/{passes} loss {loss:.4f}"
            + (f" held-out spans exact {entry['heldout_exact']:.1%}" if held else "")
            + f" elapsed {clock(time.perf_counter() - started)}")

    fit(head, vectors, states, spans, lr, seed, passes, after_pass)
    summary = {"width": head.project.out_features, "rows": len(examples), "heldout_rows": len(held),
               "heldout_exact_before": round(before, 4) if before is not None else None,
               "heldout_exact": history[-1].get("heldout_exact"), "passes": passes, "lr": lr, "seed": seed,
               "seconds": round(time.perf_counter() - started, 1)}
    _write(init, out, head, summary)
    return {"checkpoint": str(out), **summary, "history": history}


def _write(init: Path, out: Path, head, summary: dict[str, Any]) -> None:
    """``init``'s files plus the head, written beside ``out`` and swapped in: a crash keeps the old."""
    from autoagent.policy.span_head import save_span_head

    staging = out.with_name(out.name + ".saving")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(init, staging, ignore=shutil.ignore_patterns(STATE_FILE, "training_log.json"))
    save_span_head(staging, head)
    policy = json.loads((staging / POLICY_FILE).read_text(encoding="utf-8"))
    policy["span_head"] = summary
    (staging / POLICY_FILE).write_text(json.dumps(policy, indent=1, ensure_ascii=False), encoding="utf-8")
    for item in staging.iterdir():
        item.chmod(0o644)
    swap_in(staging, out)
