"""Fit a checkpoint's goal heads with the model frozen (:mod:`autoagent.policy.goal_heads`).

    autoagent train --heads --init ckpt/policy --data data/demos --out ckpt/policy-heads

1. Keep the rows whose answer types a span of the goal (``type 3 4``), for the span head, those
   that launch an app (``launch Shop``), for the launch head, and up to :data:`ELEMENT_ROWS` of
   those that tap or swipe an element, for the element head: demonstrations and corrections,
   each row once.
2. Run the frozen model once over them, in float32 as inference on the CPU computes, and keep
   each goal word's last hidden state (the heads' input), each element line's for an element
   row, and the model's own scores of the choices (apps, elements). No gradient reaches the
   model, so nothing else it does (when to tap, type or launch) can change.
3. Fit each head: AdamW, cross-entropy of the corrected scores (a span's first and last word
   among the goal's words; the app among the apps; the element among the lines), a fixed
   number of passes in a seeded order (rows of similar length batched together), the learning
   rate falling linearly to zero over them.
   An element row the model alone gets wrong appears :data:`HARD_REPEAT` times per pass: those
   are the few the head is for (a stepper's "−" is 1 in 10 of its presses), and the right ones
   would otherwise drown them.
   Half of each span or launch batch gets up to :data:`FOREIGN_MOST` words of other goals
   inserted before its goal's words and as many after (:func:`with_foreign_words`): a request
   wrapped in words training never used ("would you mind if you", "拜托了") must still type and
   launch what it did.
4. Write ``--out``: the checkpoint's files as they were, the heads beside them, and their size
   and numbers under ``span_head``, ``launch_head`` and ``element_head`` in the policy file.

Held-out rows (``heldout.jsonl``) are scored before and after: the share whose best span (ranked
as the engine ranks them, :meth:`~autoagent.policy.pointers.PointerScores.ranked_spans`), app
or element is the expert's.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoagent.policy.local_engine import POLICY_FILE
from autoagent.training.progress import Progress, clock
from autoagent.training.rows import DAGGER_FILE, SPLIT_FILES, check_layout, read_rows
from autoagent.training.train import (STATE_FILE, Example, batches, collate, compile_language_model,
                                      encode_rows, hidden_states, load_tokenizer, swap_in,
                                      trained_policy)

PASSES = 12
ELEMENT_PASSES = 6  # its rows are many more, and the hard ones repeated
ELEMENT_ROWS = 40_000  # a seeded sample of the element rows bounds the frozen pass over them
HARD_REPEAT = 8
BATCH = 64
SORT_POOL = 8  # batches whose rows are sorted by length together
FOREIGN_SHARE = 0.5  # of the span and launch rows in a batch, those that get other goals' words around them
FOREIGN_MOST = 3  # words inserted before a goal, and after it, at most
FOREIGN_POOL = 3000  # launch rows whose word states are the ones inserted


@dataclass
class Read:
    """What the frozen model gives a head for one row."""

    words: Any  # the goal words' last hidden states (words, hidden), float32
    answer: Any  # the span (first, last word), the app's index in APP_NAMES, or the element's
    base: Any = None  # the model's own scores: of each app (log-probabilities), of each element
    lines: Any = None  # element rows: the element lines' last hidden states (lines, hidden)


def _is_span(row: dict) -> bool:
    return row["target"].startswith("type ") and not row["target"].startswith('type "')


def _app(row: dict) -> int | None:
    from autoagent.policy.compact import APP_NAMES

    name = row["target"].removeprefix("launch ") if row["target"].startswith("launch ") else None
    return APP_NAMES.index(name) if name in APP_NAMES else None


def app_tokens(tokenizer) -> tuple[int, list[int]]:
    """How many tokens ``launch`` takes, and each app's first token after it: where the model's
    choice of app is read."""
    from autoagent.policy.compact import APP_NAMES

    verb = len(tokenizer("launch", add_special_tokens=False)["input_ids"])
    return verb, [tokenizer("launch " + app, add_special_tokens=False)["input_ids"][verb] for app in APP_NAMES]


def _points(row: dict) -> bool:
    from autoagent.policy.compact import split_answer

    return split_answer(row["target"]).element is not None


def read_rows_for_heads(model, tokenizer, rows: list[dict], workers: int, label: str, progress: bool = True,
                        element_rows: int = ELEMENT_ROWS, seed: int = 0) -> dict[str, list[Read]]:
    """One frozen pass over the span, launch and element rows: their reads under each kind."""
    import torch

    from autoagent.policy.pointers import pointer_vectors

    pointing = [row for row in rows if _points(row)]
    if len(pointing) > element_rows:
        pointing = random.Random(seed).sample(pointing, element_rows)
    chosen = {"span": [row for row in rows if _is_span(row)],
              "launch": [row for row in rows if _app(row) is not None], "element": pointing}
    wanted: list[tuple[Example, Any, str]] = []
    for kind, kept in chosen.items():
        for e, row in zip(encode_rows(kept, tokenizer, workers), kept):
            if kind == "span" and e.span is not None and e.span[1] < len(e.words):
                wanted.append((e, tuple(e.span), kind))
            elif kind == "launch" and e.words:
                wanted.append((e, _app(row), kind))
            elif kind == "element" and e.words and e.element is not None and e.element < len(e.elements):
                wanted.append((e, e.element, kind))
    order = sorted(range(len(wanted)), key=lambda i: len(wanted[i][0].ids))  # less padding
    verb, apps = app_tokens(tokenizer)
    tokens = torch.tensor(apps)
    pick = pointer_vectors(model, tokenizer)[0].detach().float()
    read: list[Read | None] = [None] * len(wanted)
    bar = Progress(-(-len(order) // BATCH), label, progress)
    with torch.inference_mode():
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            input_ids, mask, *_ = collate([wanted[i][0] for i in chunk], tokenizer.pad_token_id)
            hidden = hidden_states(model, input_ids, mask).float()
            for row, i in enumerate(chunk):
                example, answer, kind = wanted[i]
                words = hidden[row, example.words].clone()
                if kind == "launch":  # the state at the end of "launch" predicts the app's token
                    logits = model.lm_head(hidden[row, example.answer_start + verb - 1]).float()
                    read[i] = Read(words, answer, base=torch.log_softmax(logits, -1)[tokens].clone())
                elif kind == "element":
                    lines = hidden[row, example.elements].clone()
                    read[i] = Read(words, answer, base=lines @ pick, lines=lines)
                else:
                    read[i] = Read(words, answer)
            bar.update()
    return {kind: [r for r, (_, _, k) in zip(read, wanted) if k == kind and r is not None] for kind in chosen}


def _padded(reads: list[Read]) -> tuple[Any, Any]:
    import torch

    lengths = torch.tensor([r.words.shape[0] for r in reads])
    words = torch.zeros(len(reads), int(lengths.max()), reads[0].words.shape[1])
    for row, r in enumerate(reads):
        words[row, :r.words.shape[0]] = r.words
    return words, lengths


def _padded_lines(reads: list[Read]) -> tuple[Any, Any, Any]:
    """Element rows' lines, lengths and the model's own scores, padded (the padding scores lowest)."""
    import torch

    lengths = torch.tensor([r.lines.shape[0] for r in reads])
    lines = torch.zeros(len(reads), int(lengths.max()), reads[0].lines.shape[1])
    base = torch.full((len(reads), int(lengths.max())), torch.finfo(torch.float32).min)
    for row, r in enumerate(reads):
        lines[row, :r.lines.shape[0]] = r.lines
        base[row, :r.lines.shape[0]] = r.base
    return lines, lengths, base


def element_scores(head, reads: list[Read]) -> Any:
    """Each element row's scores (rows, lines; padding lowest): the model's, corrected by ``head``."""
    lines, line_lengths, base = _padded_lines(reads)
    if head is None:
        return base
    words, word_lengths = _padded(reads)
    return base + head(lines, words, line_lengths, word_lengths)


def exact_elements(head, reads: list[Read]) -> float:
    """The share of element rows whose best element (the model's, corrected by ``head``) is the answer's."""
    import torch

    if not reads:
        return 0.0
    right = 0
    with torch.no_grad():
        for start in range(0, len(reads), 256):
            chunk = reads[start:start + 256]
            best = element_scores(head, chunk).argmax(1)
            right += int((best == torch.tensor([r.answer for r in chunk])).sum())
    return right / len(reads)


def element_loss(head, reads: list[Read]):
    import torch

    return torch.nn.functional.cross_entropy(element_scores(head, reads), torch.tensor([r.answer for r in reads]))


def with_hard_rows(reads: list[Read], times: int = HARD_REPEAT) -> list[Read]:
    """The element rows, with those the model alone gets wrong ``times`` times over."""
    import torch

    wrong = [r for r in reads if int(torch.argmax(r.base)) != r.answer]
    return reads + wrong * (times - 1)


def span_scores(head, vectors, reads: list[Read]) -> list[Any]:
    """Start and end scores (words, 2) per row: the model's own, corrected by ``head``."""
    import torch

    with torch.no_grad():
        words, lengths = _padded(reads)
        scores = words @ vectors.T + (head(words, lengths) if head is not None else 0)
    return [scores[row, :int(n)] for row, n in enumerate(lengths)]


def exact_spans(head, vectors, reads: list[Read]) -> float:
    """The share of rows whose best span, ranked as the engine ranks them, is the answer's."""
    from autoagent.policy.pointers import PointerScores

    if not reads:
        return 0.0
    right = 0
    for scores, r in zip(span_scores(head, vectors, reads), reads):
        ranked = PointerScores(elements=[], starts=scores[:, 0].tolist(), ends=scores[:, 1].tolist()).ranked_spans(1)
        right += bool(ranked) and ranked[0] == r.answer
    return right / len(reads)


def exact_launches(head, reads: list[Read]) -> float:
    """The share of launch rows whose best app (the model's, corrected by ``head``) is the answer's."""
    import torch

    if not reads:
        return 0.0
    with torch.no_grad():
        words, lengths = _padded(reads)
        scores = torch.stack([r.base for r in reads]) + (head(words, lengths) if head is not None else 0)
    return float((scores.argmax(1) == torch.tensor([r.answer for r in reads])).float().mean())


def span_loss(head, vectors, reads: list[Read]):
    import torch

    words, lengths = _padded(reads)
    scores = words @ vectors.T + head(words, lengths)
    valid = torch.arange(words.shape[1])[None, :] < lengths[:, None]
    scores = scores.masked_fill(~valid[..., None], torch.finfo(scores.dtype).min)
    target = torch.tensor([r.answer for r in reads])
    return (torch.nn.functional.cross_entropy(scores[..., 0], target[:, 0])
            + torch.nn.functional.cross_entropy(scores[..., 1], target[:, 1])) / 2


def launch_loss(head, reads: list[Read]):
    import torch

    words, lengths = _padded(reads)
    scores = torch.stack([r.base for r in reads]) + head(words, lengths)
    return torch.nn.functional.cross_entropy(scores, torch.tensor([r.answer for r in reads]))


def foreign_words(reads: list[Read], rows: int = FOREIGN_POOL) -> Any:
    """The word states :func:`with_foreign_words` inserts: every word of the first ``rows`` reads."""
    import torch

    return torch.cat([r.words for r in reads[:rows]]) if reads else None


def with_foreign_words(chunk: list[Read], pool: Any, rng: random.Random, span: bool, share: float = FOREIGN_SHARE,
                       most: int = FOREIGN_MOST) -> list[Read]:
    """``chunk`` with ``share`` of its rows wrapped in 0 to ``most`` word states from ``pool`` on
    each side (a span's words move with them).

    The states were read in other goals, so a head cannot lean on a goal's first or last words
    being the request's. Without this the span and launch heads learnt their training goals'
    edges: fitted on the sixth try's reads, held-out spans went from 81.2% to 83.1% exactly
    right with it, launches from 94.5% to 97.0%."""
    import torch

    wrapped: list[Read] = []
    for read in chunk:
        if rng.random() >= share:
            wrapped.append(read)
            continue
        before, after = rng.randint(0, most), rng.randint(0, most)
        drawn = [rng.randrange(len(pool)) for _ in range(before + after)]
        words = torch.cat([pool[drawn[:before]], read.words, pool[drawn[before:]]])
        answer = (read.answer[0] + before, read.answer[1] + before) if span else read.answer
        wrapped.append(Read(words, answer, base=read.base))
    return wrapped


def fit(head, loss: Callable[[list[Read]], Any], reads: list[Read], lr: float, seed: int, passes: int = PASSES,
        after_pass: Callable[[int, float], None] | None = None) -> None:
    import torch

    optimizer = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.01)
    rng = random.Random(seed)
    # The heads' recurrences step through the longest row of a batch: rows of similar length
    # together (within pools of batches) fit the element head a third faster.
    lengths = [read.lines.shape[0] if read.lines is not None else read.words.shape[0] for read in reads]
    # At a constant rate the element head's held-out flips (rows it fixes against rows it breaks)
    # swung by dozens from one pass to the next; falling to zero, the last passes settle.
    steps = passes * -(-len(reads) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    for number in range(1, passes + 1):
        head.train()
        total = 0.0
        for indices in batches(lengths, BATCH, rng, pool=SORT_POOL):
            chunk = [reads[i] for i in indices]
            value = loss(chunk)
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            optimizer.step()
            schedule.step()
            total += value.item() * len(chunk)
        head.eval()
        if after_pass is not None:
            after_pass(number, total / len(reads))


def train_goal_heads(init: Path, data: Path, out: Path, lr: float = 2e-3, seed: int = 0, threads: int = 2,
                     passes: int = PASSES, element_passes: int = ELEMENT_PASSES, log: Callable[[str], None] = print,
                     progress: bool = True, compile: bool = True) -> dict[str, Any]:
    """Fit ``init``'s span, launch and element heads on ``data``'s rows and write the result to ``out``."""
    import torch
    from transformers import Glm4vForConditionalGeneration

    from autoagent.policy.goal_heads import ElementHead, LaunchHead, SpanHead
    from autoagent.policy.pointers import pointer_vectors

    init, data, out = Path(init), Path(data), Path(out)
    policy = trained_policy(init, "--init")
    if out.exists() and any(out.iterdir()) and not (out / POLICY_FILE).is_file():
        raise ValueError(f"{out} holds other files; give an empty folder or an earlier checkpoint")
    check_layout(data, policy["format"])
    started = time.perf_counter()
    torch.set_num_threads(threads)
    rows = read_rows(data / SPLIT_FILES["train"])
    if (data / DAGGER_FILE).is_file():
        rows += read_rows(data / DAGGER_FILE)
    held_path = data / SPLIT_FILES["eval"]
    held_rows = read_rows(held_path) if held_path.is_file() else []
    tokenizer = load_tokenizer(init)
    model = Glm4vForConditionalGeneration.from_pretrained(init, local_files_only=True, dtype=torch.float32).eval()
    if compile:  # the same hidden states (to float32 rounding), read faster
        compile_language_model(model)
    vectors = pointer_vectors(model, tokenizer).detach().float()
    # No element passes, no element head: its rows, most of the reading, are not read at all.
    elements = element_passes > 0
    reads = read_rows_for_heads(model, tokenizer, rows, threads, "reading the goals", progress,
                                element_rows=ELEMENT_ROWS if elements else 0, seed=seed)
    held = (read_rows_for_heads(model, tokenizer, held_rows, threads, "reading held-out goals", progress,
                                element_rows=len(held_rows) if elements else 0, seed=seed)
            if held_rows else {kind: [] for kind in reads})
    if not any(reads.values()):
        raise ValueError(f"{data} holds no rows that type a span of the goal, launch an app or point at an "
                         "element: nothing to fit")
    log(f"goal heads for {init}: {len(reads['span'])} typed spans, {len(reads['launch'])} launches and "
        f"{len(reads['element'])} taps and swipes to fit; {len(held['span'])}, {len(held['launch'])} and "
        f"{len(held['element'])} held out")
    hidden = model.config.text_config.hidden_size
    summary: dict[str, Any] = {}

    pool = foreign_words(reads["launch"] or reads["span"])

    def fit_one(key: str, kind, reads: list[Read], held: list[Read], loss, exact, passes: int = passes,
                span: bool | None = None) -> Any:
        if not reads:
            return None
        torch.manual_seed(seed)  # each head starts from the same draws, whichever is fitted first
        head = kind(hidden)
        draws = random.Random(seed)  # its own: the batches' order stays that of a fit without it
        before = exact(None, held) if held else None
        name = key.replace("_", " ")
        if before is not None:
            log(f"{name}: held-out rows exactly right with the model alone {before:.1%}")
        history: list[dict[str, float]] = []

        def after_pass(number: int, value: float) -> None:
            entry = {"pass": number, "loss": round(value, 5)}
            if held:
                entry["heldout_exact"] = round(exact(head, held), 4)
            history.append(entry)
            log(f"{name} pass {number}/{passes} loss {value:.4f}"
                + (f" held-out exact {entry['heldout_exact']:.1%}" if held else "")
                + f" elapsed {clock(time.perf_counter() - started)}")

        def batch_loss(chunk: list[Read]):
            return loss(head, chunk if span is None else with_foreign_words(chunk, pool, draws, span))

        fit(head, batch_loss, reads, lr, seed, passes, after_pass)
        summary[key] = {"width": head.width, "rows": len(reads), "heldout_rows": len(held),
                        "heldout_exact_before": round(before, 4) if before is not None else None,
                        "heldout_exact": history[-1].get("heldout_exact"), "passes": passes, "lr": lr, "seed": seed}
        return head

    heads = [fit_one("span_head", SpanHead, reads["span"], held["span"], lambda h, chunk: span_loss(h, vectors, chunk),
                     lambda h, rows: exact_spans(h, vectors, rows), span=True),
             fit_one("launch_head", LaunchHead, reads["launch"], held["launch"], launch_loss, exact_launches,
                     span=False),
             fit_one("element_head", ElementHead, with_hard_rows(reads["element"]), held["element"], element_loss,
                     exact_elements, element_passes)]
    seconds = round(time.perf_counter() - started, 1)
    for entry in summary.values():
        entry["seconds"] = seconds
    _write(init, out, [head for head in heads if head is not None], summary)
    return {"checkpoint": str(out), **summary, "seconds": seconds}


def _write(init: Path, out: Path, heads: list, summary: dict[str, Any]) -> None:
    """``init``'s files plus the heads, written beside ``out`` and swapped in: a crash keeps the old."""
    from autoagent.policy.goal_heads import HEAD_FILES, HEAD_KEYS, save_head

    staging = out.with_name(out.name + ".saving")
    shutil.rmtree(staging, ignore_errors=True)
    # Heads fitted for another run of these weights are replaced, not kept beside the new ones.
    shutil.copytree(init, staging, ignore=shutil.ignore_patterns(STATE_FILE, "training_log.json", *HEAD_FILES))
    for head in heads:
        save_head(staging, head)
    policy = json.loads((staging / POLICY_FILE).read_text(encoding="utf-8"))
    for key in HEAD_KEYS:
        policy.pop(key, None)
    policy.update(summary)
    (staging / POLICY_FILE).write_text(json.dumps(policy, indent=1, ensure_ascii=False), encoding="utf-8")
    for item in staging.iterdir():
        item.chmod(0o644)
    swap_in(staging, out)
