"""Train the embedded policy: a small GLM-4.1V-architecture model, from scratch, on a CPU (or a GPU).

    autoagent train --data data/demos --out ckpt/policy --minutes 40

The whole loop, nanoGPT style:

1. A checkpoint folder: a byte-level BPE tokenizer trained on the training prompts, GLM's
   chat template, an image processor (the architecture keeps its vision tower), a randomly
   initialised ``Glm4vForConditionalGeneration`` (config from :data:`SIZES`) and
   ``autoagent_policy.json``, which tells :class:`~autoagent.policy.local_engine.LocalGLMPolicy`
   to build the compact prompt of :mod:`autoagent.policy.compact` for this checkpoint.
2. Every row is tokenised once, through the same chat template inference uses:
   ``[gMASK]<sop><|user|>\\n{prompt}<|assistant|>\\n{answer}<|endoftext|>``.
3. Batches of similar length, padded on the right; the language model runs over the whole
   sequence, the output layer only at the answer's positions (where the loss is).
4. AdamW, linear warm-up then cosine decay over the step budget, gradient clipping, bf16
   autocast where the CPU has AMX (fp32 elsewhere, which is faster there) and always on a CUDA GPU
   (``--device cuda``: the same loop, many times the examples per minute), a fixed seed. Held-out
   answer accuracy (token and whole answer) every ``--eval-every`` steps; a checkpoint with
   the optimizer state every ``--save-every`` steps, so ``--resume`` carries on where a
   stopped run left off.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import multiprocessing
import random
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autoagent.extras import require
from autoagent.policy.base import PolicyError
from autoagent.policy.local_engine import POLICY_FILE, read_prompt_format
from autoagent.training.progress import clock
from autoagent.training.rows import DAGGER_FILE, SPLIT_FILES, check_layout, goal_decided, read_rows

STATE_FILE = "training_state.pt"


@dataclass(frozen=True)
class ModelSize:
    vocab: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vision_depth: int
    vision_hidden: int
    vision_heads: int
    mrope_section: tuple[int, int, int]  # sums to head_dim * partial_rotary_factor / 2


SIZES: dict[str, ModelSize] = {
    "tiny": ModelSize(vocab=1500, hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128, vision_depth=1,
                      vision_hidden=32, vision_heads=2, mrope_section=(1, 1, 2)),
    "small": ModelSize(vocab=3000, hidden=256, layers=4, heads=4, kv_heads=2, intermediate=704, vision_depth=1,
                       vision_hidden=64, vision_heads=2, mrope_section=(4, 6, 6)),
}


@dataclass
class TrainConfig:
    data: str
    out: str
    size: str = "small"
    steps: int = 3000
    minutes: float | None = None  # stop (and save) after this long, whatever ``steps`` says
    device: str = "cpu"  # or "cuda"
    batch: int = 16
    lr: float = 2e-3
    min_lr_ratio: float = 0.05
    warmup: int = 100
    weight_decay: float = 0.01
    clip: float = 1.0
    seed: int = 0
    eval_every: int = 250
    eval_examples: int = 512
    save_every: int = 500
    log_every: int = 25
    threads: int = 2  # CPU threads for the arithmetic, and processes for tokenising
    resume: bool = False
    init: str | None = None  # start from this checkpoint's weights and tokenizer (fresh schedule)
    # Weight of an auxiliary next-token loss on the prompt. Off: on a 603-row run it kept the
    # pointers at chance (their loss 2.8 after 150 steps, 0.9 without it).
    prompt_loss: float = 0.0
    pointer_loss: float = 1.0  # weight of the pointers' loss (the reply's loss has weight 1)
    dagger_repeat: int = 3  # times each correction row (dagger.jsonl) appears per pass
    fork_repeat: int = 1  # times each demonstration on a screen where the goal decides appears per pass
    # Compile the language model (torch.compile, shapes left dynamic): on a 2-core CPU the step
    # is mostly small kernels and their overheads, which fusing cuts, for a compile of two or
    # three minutes that a short run does not win back.
    compile: bool = True


@functools.cache
def fast_bf16() -> bool:
    """Whether bf16 autocast trains faster than fp32 on this CPU: where it has AMX tiles.

    AVX-512 BF16 alone does not pay: on a 2-core Xeon with it but without AMX a training step made
    16.4 examples/s under bf16 autocast against 25.6 in fp32 (the casts cost more than the narrower
    matmuls save). Where bf16 is emulated it is worse still: 0.5 against 18 on an AVX2-only EPYC."""
    import torch

    try:
        return bool(torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):
        return False


def precision(device: str = "cpu") -> str:
    """The precision training and its held-out checks run in on this device."""
    return "bf16" if device == "cuda" or fast_bf16() else "fp32"


def autocast(device: str = "cpu"):
    """bf16 autocast where it pays (a CPU with AMX, every CUDA GPU training runs on), a no-op elsewhere."""
    import torch

    return torch.autocast(device, dtype=torch.bfloat16, enabled=precision(device) == "bf16")


def check_device(device: str) -> None:
    import torch

    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown --device {device!r}: use cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: this torch sees no CUDA GPU")


# ---------------------------------------------------------------------------- checkpoint


def build_tokenizer(corpus: list[str], vocab_size: int):
    """Byte-level BPE with GLM's special tokens and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from autoagent.policy.compact import POINTER_TOKENS
    from autoagent.policy.tiny import CHAT_TEMPLATE, SPECIAL_TOKENS

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[*SPECIAL_TOKENS, *POINTER_TOKENS],
                                  show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                 padding_side="left")
    hf.chat_template = CHAT_TEMPLATE
    return hf


def build_model(tokenizer, size: ModelSize, seed: int):
    import torch
    from transformers import GenerationConfig, Glm4vConfig, Glm4vForConditionalGeneration

    from autoagent.policy.tiny import SPECIAL_TOKENS, STOP_TOKENS

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    config = Glm4vConfig(
        text_config={
            "vocab_size": len(tokenizer), "hidden_size": size.hidden, "intermediate_size": size.intermediate,
            "num_hidden_layers": size.layers, "num_attention_heads": size.heads, "num_key_value_heads": size.kv_heads,
            "max_position_embeddings": 4096, "pad_token_id": ids["<|endoftext|>"],
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
                                "mrope_section": list(size.mrope_section)},
        },
        vision_config={
            "depth": size.vision_depth, "hidden_size": size.vision_hidden, "num_heads": size.vision_heads,
            "intermediate_size": size.vision_hidden * 2, "out_hidden_size": size.hidden, "patch_size": 14,
            "spatial_merge_size": 2, "temporal_patch_size": 2, "image_size": 112,
        },
        image_token_id=ids["<|image|>"], video_token_id=ids["<|video|>"],
        image_start_token_id=ids["<|begin_of_image|>"], image_end_token_id=ids["<|end_of_image|>"],
        video_start_token_id=ids["<|begin_of_video|>"], video_end_token_id=ids["<|end_of_video|>"],
    )
    torch.manual_seed(seed)
    model = Glm4vForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        eos_token_id=[ids[t] for t in STOP_TOKENS], pad_token_id=ids["<|endoftext|>"], do_sample=False)
    return model


def save_checkpoint(folder: Path, model, tokenizer, policy: dict[str, Any], state: dict[str, Any] | None = None) -> None:
    """Write beside the folder, then swap it in: a crash mid-save keeps the last good checkpoint."""
    import torch
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    if folder.exists() and any(folder.iterdir()) and not (folder / "config.json").exists():
        raise ValueError(f"{folder} holds other files; give an empty folder or an earlier checkpoint")
    staging = folder.with_name(folder.name + ".saving")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)  # writes chat_template.jinja too
    Glm4vImageProcessorPil(size={"shortest_edge": 112 * 112, "longest_edge": 2 * 28 * 28 * 100}).save_pretrained(staging)
    (staging / POLICY_FILE).write_text(json.dumps(policy, indent=1, ensure_ascii=False), encoding="utf-8")
    if state is not None:
        torch.save(state, staging / STATE_FILE)
    swap_in(staging, folder)


def swap_in(staging: Path, folder: Path) -> None:
    """Put a fully written ``staging`` folder in the place of ``folder``: until the rename, the
    old one stays whole."""
    previous = folder.with_name(folder.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    if folder.exists():
        folder.rename(previous)
    staging.rename(folder)
    shutil.rmtree(previous, ignore_errors=True)


# ---------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class Example:
    ids: list[int]
    answer_start: int  # index of the first reply token in ids
    elements: list[int]  # token index of each element pointer (0: the whole screen)
    words: list[int]  # token index of each goal word's pointer
    element: int | None  # the element the answer points at
    span: tuple[int, int] | None  # the goal words it types


def encode_rows(rows: list[dict], tokenizer, workers: int = 1, chunk: int = 2000) -> list[Example]:
    """Rows as token ids: the prompt, then the reply the model writes; the answer's target
    (``tap [3]``, ``type 2 4``) becomes pointer labels. ``workers`` processes share the rows,
    ``chunk`` at a time (tokenising 100k rows takes over a minute in one)."""
    if workers <= 1 or len(rows) <= chunk:
        return _encode(rows, tokenizer)
    parts = [rows[i:i + chunk] for i in range(0, len(rows), chunk)]
    # fork: each worker inherits the tokenizer instead of unpickling it per chunk
    with multiprocessing.get_context("fork").Pool(workers, _adopt_tokenizer, (tokenizer,)) as pool:
        encoded = pool.map(_encode_with_adopted, parts)
    return [e for part in encoded for e in part]


_worker_tokenizer: Any = None


def _adopt_tokenizer(tokenizer) -> None:
    global _worker_tokenizer
    _worker_tokenizer = tokenizer


def _encode_with_adopted(rows: list[dict]) -> list[Example]:
    return _encode(rows, _worker_tokenizer)


def _encode(rows: list[dict], tokenizer) -> list[Example]:
    from autoagent.policy.compact import split_answer
    from autoagent.policy.pointers import encode_prompt

    eos = tokenizer.eos_token_id
    examples = []
    for row in rows:
        prompt = encode_prompt(tokenizer, row["prompt"])
        pointed = split_answer(row["target"])
        reply = tokenizer(pointed.reply, add_special_tokens=False)["input_ids"] + [eos]
        examples.append(Example(prompt.ids + reply, len(prompt.ids), prompt.elements, prompt.words,
                                pointed.element, pointed.span))
    return examples


def batches(lengths: Sequence[int], batch: int, rng: random.Random, pool: int = 4) -> list[list[int]]:
    """Index batches in a random order. Within random pools of ``pool`` batches, items of
    similar length go together: less padding, while a batch still mixes screens and tasks (one
    sorted over the whole set would hold one kind of screen, and its gradient would lurch)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    groups = []
    for start in range(0, len(order), batch * pool):
        chunk = sorted(order[start:start + batch * pool], key=lengths.__getitem__)
        groups.extend(chunk[i:i + batch] for i in range(0, len(chunk), batch))
    rng.shuffle(groups)
    return groups


def collate(examples: list[Example], pad: int, device: str = "cpu"):
    import torch

    width = max(len(e.ids) for e in examples)
    input_ids = torch.full((len(examples), width), pad, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    rows, cols, targets = [], [], []
    for b, e in enumerate(examples):
        input_ids[b, :len(e.ids)] = torch.tensor(e.ids)
        mask[b, :len(e.ids)] = 1
        for t in range(e.answer_start, len(e.ids)):
            rows.append(b)
            cols.append(t - 1)  # the state at t - 1 predicts token t
            targets.append(e.ids[t])
    return tuple(t.to(device, non_blocking=True) for t in
                 (input_ids, mask, torch.tensor(rows), torch.tensor(cols), torch.tensor(targets)))


def model_hidden_states(model, input_ids, mask):
    """The last hidden states of right-padded text rows (no image), through the model's own forward."""
    import torch

    return model.model(input_ids=input_ids, attention_mask=mask,
                       mm_token_type_ids=torch.zeros_like(input_ids)).last_hidden_state


def hidden_states(model, input_ids, mask):
    """The last hidden states of right-padded text rows (no image), as inference computes them."""
    import torch

    if model.config.text_config._attn_implementation != "eager":
        return model_hidden_states(model, input_ids, mask)
    # Plain-matmul attention gets its mask and positions built here, once per batch, the way the
    # model builds them for text: compiled, the model rebuilt the mask inside every layer's softmax
    # from indices, a sixth of the training step.
    keep = torch.ones(input_ids.shape[1], input_ids.shape[1], dtype=torch.bool, device=input_ids.device).tril()
    keep = keep[None, None] & mask.bool()[:, None, None, :]
    dtype = model.model.language_model.embed_tokens.weight.dtype
    additive = torch.zeros(keep.shape, dtype=dtype, device=keep.device).masked_fill(~keep, torch.finfo(dtype).min)
    positions = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0).expand(3, -1, -1)
    return model.model.language_model(input_ids=input_ids, attention_mask=additive,
                                      position_ids=positions).last_hidden_state


def pointer_loss(hidden, vectors, examples: list[Example]):
    """Cross-entropy of each pointer over its choices: the answer's element among the screen's
    lines, its span's first and last word among the goal's words; the mean over the batch's
    pointed answers, a span's two ends counting as one (0 when the batch has none). One
    padded gather per kind: a Python loop per example would leave a GPU waiting."""
    import torch

    def choices(lists: list[list[int]]):
        width = max(len(c) for c in lists)
        index = torch.zeros((len(lists), width), dtype=torch.long)
        valid = torch.zeros((len(lists), width), dtype=torch.bool)
        for i, c in enumerate(lists):
            index[i, :len(c)] = torch.tensor(c)
            valid[i, :len(c)] = True
        return index.to(hidden.device), valid.to(hidden.device)

    def masked(scores, valid):
        return scores.masked_fill(~valid, torch.finfo(scores.dtype).min)

    total, count = hidden.new_zeros((), dtype=torch.float32), 0
    pointed = [(b, e) for b, e in enumerate(examples) if e.element is not None and e.element < len(e.elements)]
    if pointed:
        index, valid = choices([e.elements for _, e in pointed])
        rows = torch.tensor([b for b, _ in pointed], device=hidden.device)
        scores = masked(hidden[rows[:, None], index].float() @ vectors[0].float(), valid)
        target = torch.tensor([e.element for _, e in pointed], device=hidden.device)
        total = total + torch.nn.functional.cross_entropy(scores, target, reduction="sum")
        count += len(pointed)
    spans = [(b, e) for b, e in enumerate(examples) if e.span is not None and e.span[1] < len(e.words)]
    if spans:
        index, valid = choices([e.words for _, e in spans])
        rows = torch.tensor([b for b, _ in spans], device=hidden.device)
        scores = hidden[rows[:, None], index].float() @ vectors.float().T  # (spans, words, start/end)
        scores = masked(scores.transpose(1, 2), valid[:, None, :])
        target = torch.tensor([list(e.span) for _, e in spans], device=hidden.device)
        both = torch.nn.functional.cross_entropy(scores.flatten(0, 1), target.flatten(), reduction="none")
        total = total + both.view(-1, 2).mean(1).sum()
        count += len(spans)
    return total / count if count else hidden.sum() * 0


def pointers_right(hidden, vectors, e: Example) -> bool:
    """Whether the pointers' best choices are the answer's (spans pick the best pair)."""
    from autoagent.policy.pointers import EncodedPrompt, score_pointers

    if e.element is None and e.span is None:
        return True
    scores = score_pointers(hidden, vectors, EncodedPrompt(ids=e.ids, elements=e.elements, words=e.words))
    if e.element is not None:
        ranked = scores.ranked_elements(allow_screen=True)
        return bool(ranked) and ranked[0] == e.element
    spans = scores.ranked_spans(1)
    return bool(spans) and spans[0] == e.span


def prompt_targets(examples: list[Example], width: int):
    """Next-token targets inside each prompt (-100 elsewhere), for the auxiliary prompt loss."""
    import torch

    targets = torch.full((len(examples), width), -100, dtype=torch.long)
    for b, e in enumerate(examples):
        targets[b, :e.answer_start - 1] = torch.tensor(e.ids[1:e.answer_start])
        # Where a pointer is read, the state serves the pointer, not the next token: language
        # modelling there pulls it towards "what comes next" and the pointers learn nothing.
        targets[b, e.elements + e.words] = -100
    return targets


def batch_losses(model, chunk: list[Example], pad: int, vectors, cfg: TrainConfig, forward=hidden_states):
    """One batch's reply loss, pointer loss and the total that training minimises. ``forward``
    gives the hidden states (a benchmark passes the model's own forward as its baseline)."""
    import torch

    input_ids, mask, rows_idx, cols, targets = collate(chunk, pad, cfg.device)
    with autocast(cfg.device):
        hidden = forward(model, input_ids, mask)
        logits = model.lm_head(hidden[rows_idx, cols])
        # A little of plain language modelling on the prompt: thousands of targets per batch
        # instead of the answers' few dozen, which shapes attention early on.
        prompt_logits = model.lm_head(hidden) if cfg.prompt_loss else None
        pointing = pointer_loss(hidden, vectors, chunk)
    loss = torch.nn.functional.cross_entropy(logits.float(), targets)
    total = loss + cfg.pointer_loss * pointing
    if prompt_logits is not None:
        aux = torch.nn.functional.cross_entropy(prompt_logits.float().flatten(0, 1),
                                                prompt_targets(chunk, input_ids.shape[1]).flatten(),
                                                ignore_index=-100)
        total = total + cfg.prompt_loss * aux
    return loss, pointing, total


def apply_gradient(model, optimizer, total, clip: float) -> bool:
    """Backpropagate ``total``, clip the gradient's norm and step; False (and no step) when the
    gradient is not finite: one batch gone non-finite (seen in bf16 on a GPU) must not poison
    every weight."""
    import torch

    optimizer.zero_grad(set_to_none=True)
    total.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    if not torch.isfinite(norm):
        return False
    optimizer.step()
    return True


def evaluate_answers(model, examples: list[Example], pad: int, vectors_of, batch: int = 32,
                     device: str = "cpu") -> dict[str, float]:
    """Teacher-forced accuracy on held-out answers: per reply token, and whole answers exactly
    right (the reply and every pointer)."""
    import torch

    if not examples:
        return {}
    model.eval()
    tokens = right = exact = 0
    with torch.no_grad(), autocast(device):
        vectors = vectors_of(model)
        for i in range(0, len(examples), batch):
            chunk = examples[i:i + batch]
            input_ids, mask, rows, cols, targets = collate(chunk, pad, device)
            hidden = hidden_states(model, input_ids, mask)
            hits = (model.lm_head(hidden[rows, cols]).argmax(-1) == targets)
            tokens += len(targets)
            right += int(hits.sum())
            exact += sum(bool(hits[rows == b].all()) and pointers_right(hidden[b], vectors, e)
                         for b, e in enumerate(chunk))
    model.train()
    return {"token_accuracy": right / tokens, "answer_accuracy": exact / len(examples)}


# ---------------------------------------------------------------------------- the loop


def compile_language_model(model) -> None:
    """Compile the model's language model in place: its weights and their names stay as they
    are (``save_pretrained`` writes the same checkpoint), and the first batches wait for the
    compiler. Shapes are dynamic, so batches of every length share one compiled graph."""
    model.model.language_model.compile(dynamic=True)


def training_attention(device: str) -> str:
    """The attention kernel training runs: plain matmuls on the CPU, where the fused SDPA kernel's
    backward took a quarter of the step (compiled, 52-56 against 44 examples/s); SDPA on a GPU.
    The choice is not saved with the checkpoint: inference loads SDPA, which computes the same."""
    return "eager" if device == "cpu" else "sdpa"


def lr_at(step: int, cfg: TrainConfig, time_used: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_ratio``. ``time_used`` is the share of a
    ``--minutes`` budget spent: the decay follows steps or time, whichever runs out first, so a
    run cut by the clock still ends at a low learning rate."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = max((step - cfg.warmup) / max(1, cfg.steps - cfg.warmup), time_used)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)


def load_tokenizer(folder: Path):
    """A checkpoint's tokenizer, saved again later exactly as it was: how it was loaded (local
    files only) is not part of it."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    for option in ("local_files_only", "is_local"):
        tokenizer.init_kwargs.pop(option, None)
    return tokenizer


def train(cfg: TrainConfig, log=print) -> dict[str, Any]:
    """Run the training; return a summary (accuracies, throughput, checkpoint folder)."""
    import torch
    from transformers import Glm4vForConditionalGeneration

    from autoagent.policy.compact import FORMAT

    if cfg.steps < 1 or cfg.batch < 1 or cfg.fork_repeat < 1:
        raise ValueError("--steps, --batch and --fork-repeat must be at least 1")
    if cfg.size not in SIZES:
        raise ValueError(f"unknown size {cfg.size!r}: use one of {', '.join(SIZES)}")
    check_device(cfg.device)
    data, out = Path(cfg.data), Path(cfg.out)
    check_layout(data, FORMAT)
    rows = read_rows(data / SPLIT_FILES["train"])
    # A choice that only the goal makes (which of two buttons, which way a stepper goes) is about one
    # row in eight, and the one a small model learns last.
    if cfg.fork_repeat > 1:
        rows += goal_decided(rows) * (cfg.fork_repeat - 1)
    if (data / DAGGER_FILE).is_file():
        # Corrections are few next to the demonstrations and teach what they cannot: how to get
        # back on track; each is seen ``dagger_repeat`` times per pass.
        rows += read_rows(data / DAGGER_FILE) * cfg.dagger_repeat
    if not rows:
        raise ValueError(f"{data / SPLIT_FILES['train']} holds no demonstrations")
    held_path = data / SPLIT_FILES["eval"]
    held_rows = read_rows(held_path)[: cfg.eval_examples] if held_path.is_file() else []
    torch.set_num_threads(cfg.threads)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)

    start_step = 0
    state = None
    size = cfg.size  # a model loaded from a checkpoint keeps the size it was built with
    if cfg.resume and cfg.init:
        raise ValueError("--resume continues --out; --init starts a new run from another checkpoint: pick one")
    if cfg.resume and (out / STATE_FILE).is_file():
        policy = trained_policy(out, "--resume")  # before the weights: a damaged file is an error at once
        tokenizer = load_tokenizer(out)
        model = Glm4vForConditionalGeneration.from_pretrained(out, local_files_only=True, dtype=torch.float32)
        state = torch.load(out / STATE_FILE, weights_only=False, map_location=cfg.device)
        start_step = state["step"]
        size = policy.get("size", size)
        log(f"resuming {out} at step {start_step}")
    elif cfg.init:
        policy = trained_policy(Path(cfg.init), "--init")  # before the weights: a damaged file is an error at once
        tokenizer = load_tokenizer(Path(cfg.init))
        model = Glm4vForConditionalGeneration.from_pretrained(cfg.init, local_files_only=True, dtype=torch.float32)
        log(f"starting from the weights of {cfg.init}")
        from autoagent.policy.goal_heads import HEAD_KEYS

        size = policy.get("size", size)
        if any(policy.get(key) for key in HEAD_KEYS):
            # The heads were fitted to these weights' hidden states; once they move they no longer fit.
            log(f"the goal heads of {cfg.init} are left behind: fit them for the new weights with --heads")
    else:
        tokenizer = build_tokenizer([r["prompt"] + "\n" + r["target"] for r in rows], SIZES[cfg.size].vocab)
        model = build_model(tokenizer, SIZES[cfg.size], cfg.seed)
    model.to(cfg.device).train()
    attention = training_attention(cfg.device)
    model.set_attn_implementation(attention)
    if cfg.compile:
        compile_language_model(model)
    pad = tokenizer.pad_token_id
    started_encoding = time.perf_counter()
    examples = encode_rows(rows, tokenizer, cfg.threads)
    lengths = [len(e.ids) for e in examples]
    held = encode_rows(held_rows, tokenizer, cfg.threads)
    params = sum(p.numel() for p in model.parameters())
    text_params = sum(p.numel() for n, p in model.named_parameters() if "visual" not in n)
    mean_len = sum(len(e.ids) for e in examples) / len(examples)
    log(f"model {size}: {params / 1e6:.2f}M parameters ({text_params / 1e6:.2f}M outside the vision tower), "
        f"vocab {len(tokenizer)}, {precision(cfg.device)} on {cfg.device}, {attention} attention; {len(examples)} training rows (mean {mean_len:.0f} tokens), {len(held)} held-out; "
        f"tokenised in {time.perf_counter() - started_encoding:.1f}s")

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay,
                                  fused=cfg.device == "cuda")
    rng = random.Random(cfg.seed)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        rng.setstate(state["rng"])
    policy_meta = {"format": FORMAT, "size": size, "max_new_tokens": 64}

    def snapshot(step: int) -> dict[str, Any]:
        return {"step": step, "optimizer": optimizer.state_dict(), "rng": rng.getstate(), "config": asdict(cfg)}

    queue: list[list[int]] = []
    history: list[dict[str, float]] = []
    evals: list[dict[str, float]] = []
    started = time.perf_counter()
    deadline = started + cfg.minutes * 60 if cfg.minutes else None
    window_examples, window_start = 0, time.perf_counter()
    step = start_step
    skipped = 0  # steps whose gradient was not finite, left unapplied
    from autoagent.policy.pointers import pointer_vectors

    def vectors_of(m):
        return pointer_vectors(m, tokenizer)

    if held and start_step == 0:
        evals.append({"step": 0, **evaluate_answers(model, held, pad, vectors_of, device=cfg.device)})
    while step < cfg.steps:
        # At least one step: a short budget can be spent on the compile before it.
        if deadline and step > start_step and time.perf_counter() > deadline:
            log(f"time budget of {cfg.minutes} minutes reached at step {step}")
            break
        lr = lr_at(step, cfg, (time.perf_counter() - started) / (deadline - started) if deadline else 0.0)
        for group in optimizer.param_groups:
            group["lr"] = lr
        if not queue:
            queue = batches(lengths, cfg.batch, rng)
        chunk = [examples[i] for i in queue.pop()]
        loss, pointing, total_loss = batch_losses(model, chunk, pad, vectors_of(model), cfg)
        if not apply_gradient(model, optimizer, total_loss, cfg.clip):
            skipped += 1
        step += 1
        window_examples += len(chunk)
        history.append({"step": step, "loss": round(loss.item(), 5), "pointer_loss": round(pointing.item(), 5),
                        "lr": lr})
        if step % cfg.log_every == 0 or step == start_step + 1:
            elapsed = time.perf_counter() - window_start
            rate = window_examples / elapsed
            total = time.perf_counter() - started
            left = (cfg.steps - step) * cfg.batch / rate
            if deadline:
                left = min(left, deadline - time.perf_counter())
            log(f"step {step}/{cfg.steps} reply loss {loss.item():.4f} pointer loss {pointing.item():.4f} lr {lr:.2e} {rate:.1f} examples/s "
                f"elapsed {clock(total)} left {clock(max(0.0, left))}" + (f" skipped {skipped}" if skipped else ""))
            window_examples, window_start = 0, time.perf_counter()
        if held and step % cfg.eval_every == 0:
            scores = evaluate_answers(model, held, pad, vectors_of, device=cfg.device)
            evals.append({"step": step, **scores})
            log(f"step {step} held-out token accuracy {scores['token_accuracy']:.4f} "
                f"answer accuracy {scores['answer_accuracy']:.4f}")
        if step % cfg.save_every == 0 and step < cfg.steps:
            save_checkpoint(out, model, tokenizer, policy_meta, snapshot(step))
    if held and (not evals or evals[-1]["step"] != step):
        evals.append({"step": step, **evaluate_answers(model, held, pad, vectors_of, device=cfg.device)})
    final = evals[-1] if evals else {}
    if final:
        log(f"final held-out token accuracy {final['token_accuracy']:.4f} answer accuracy {final['answer_accuracy']:.4f}")
    seconds = time.perf_counter() - started
    summary = {"checkpoint": str(out), "steps": step, "seconds": round(seconds, 1),
               "examples_per_s": round((step - start_step) * cfg.batch / max(seconds, 1e-9), 2),
               "first_loss": history[0]["loss"] if history else None,
               "last_loss": history[-1]["loss"] if history else None, "skipped_steps": skipped, "evals": evals,
               "parameters": params,
               "training_rows": len(examples), "precision": precision(cfg.device), "attention": attention,
               "config": asdict(cfg)}
    policy_meta["training"] = {k: v for k, v in summary.items() if k not in ("checkpoint", "config")}
    save_checkpoint(out, model, tokenizer, policy_meta, snapshot(step))
    (out / "training_log.json").write_text(json.dumps({"summary": summary, "history": history}, indent=1),
                                           encoding="utf-8")
    return summary


def trained_policy(folder: Path, option: str) -> dict[str, Any]:
    """The policy file of a checkpoint that ``autoagent train`` wrote, for the command-line ``option`` naming it.

    Raises ValueError when the folder has none (a foreign model, or a wrong folder) and PolicyError when it is damaged."""
    policy = read_prompt_format(folder)
    if policy is None:
        raise ValueError(f"{option} {folder} is not a checkpoint written by autoagent train (no {POLICY_FILE})")
    return policy


def strip_training_state(folder: Path) -> None:
    """Drop what only resuming needs (the optimizer), e.g. before shipping a checkpoint."""
    for name in (STATE_FILE, "training_log.json"):
        (folder / name).unlink(missing_ok=True)


def export_checkpoint(source: Path, dest: Path) -> None:
    """A trained checkpoint as it ships: bf16 weights (half the size; inference on the CPU
    computes in float32 anyway), no optimizer state, the same tokenizer and policy file."""
    import torch
    from transformers import Glm4vForConditionalGeneration

    if not (source / POLICY_FILE).is_file():
        raise ValueError(f"{source} is not a checkpoint written by autoagent train")
    if dest.exists() and any(p.name != "MODEL_CARD.md" for p in dest.iterdir()) and not (dest / POLICY_FILE).is_file():
        raise ValueError(f"{dest} holds other files; give an empty folder or an earlier checkpoint")
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file() and item.name not in (STATE_FILE, "training_log.json", "model.safetensors"):
            shutil.copy2(item, dest / item.name)
    model = Glm4vForConditionalGeneration.from_pretrained(source, local_files_only=True, dtype=torch.float32)
    model.to(torch.bfloat16).save_pretrained(dest)
    for item in dest.iterdir():
        item.chmod(0o644)  # the weights are written private; a package's files are readable by all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="autoagent train",
        description="Train the embedded policy (a small Glm4v) from scratch on demonstrations, on the CPU "
                    "(or, with --device cuda, a GPU).",
        epilog="example: autoagent demos --out data/demos && autoagent train --data data/demos --out ckpt/p "
               "--minutes 40\nthen: autoagent eval --checkpoint ckpt/p",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="folder written by `autoagent demos` (needed unless --export)")
    parser.add_argument("--out", required=True, help="checkpoint folder to write (or to resume)")
    parser.add_argument("--size", choices=sorted(SIZES), default="small", help="model size [default: small]")
    parser.add_argument("--steps", type=int, default=3000, help="optimizer steps; sets the schedule [default: 3000]")
    parser.add_argument("--minutes", type=float, default=None,
                        help="stop and save after this long; the learning rate decays over it as over --steps")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cpu (the recipe), or cuda: a GPU in bf16 [default: cpu]")
    parser.add_argument("--batch", type=int, default=16, help="examples per optimizer step [default: 16]")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak learning rate [default: 2e-3]")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2,
                        help="CPU threads, and processes that tokenise the rows [default: 2]")
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--eval-examples", type=int, default=512)
    parser.add_argument("--save-every", type=int, default=500)
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    parser.add_argument("--prompt-loss", type=float, default=0.0,
                        help="weight of an auxiliary next-token loss on the prompt [default: 0, off]")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                        help="compile the language model with torch.compile (also for --heads' reads): on a 2-core "
                             "CPU about 1.4 times the examples per second of Hugging Face's eager forward, after a "
                             "compile of two or three minutes that short trials can skip with --no-compile "
                             "[default: on]")
    parser.add_argument("--dagger-repeat", type=int, default=3,
                        help="times each correction row (dagger.jsonl) appears per pass [default: 3]")
    parser.add_argument("--fork-repeat", type=int, default=1, metavar="N",
                        help="times each demonstration on a screen where other goals' demonstrations answered "
                             "otherwise (a stepper's - or +, Order food or Reserve a table: the goal alone "
                             "decides) appears per pass [default: 1]")
    parser.add_argument("--init", metavar="CHECKPOINT",
                        help="start from this checkpoint's weights (e.g. a second round on data with corrections)")
    parser.add_argument("--export", metavar="CHECKPOINT",
                        help="instead of training: write CHECKPOINT to --out as it ships (bf16, no optimizer state)")
    parser.add_argument("--heads", action="store_true",
                        help="instead of training the model: keep --init's weights frozen and fit only its goal "
                             "heads, small bidirectional layers over the goal's words (and the screen's lines) that "
                             "correct where typed spans start and end, which app to launch and which element to "
                             "tap, on --data's rows (minutes on a CPU); "
                             "--lr, --seed, --threads and --compile apply")
    parser.add_argument("--element-passes", type=int, default=None, metavar="N",
                        help="with --heads: passes over the taps and swipes for the element head, the slowest "
                             "to fit (about 1 minute a pass on a 2-core CPU, after 9 minutes of reading its rows); "
                             "0 fits none and reads none of those rows [default: 6]")
    args = parser.parse_args(argv)
    if not args.export and not args.data:
        parser.error("--data is required: the folder written by `autoagent demos`")
    if args.heads and not args.init:
        parser.error("--heads fits the heads of an existing checkpoint: give it as --init")
    if args.element_passes is not None and (not args.heads or args.element_passes < 0):
        parser.error("--element-passes is a number of passes (0: no element head) for --heads")
    require("local", "training")  # after parsing: --help needs no extra
    if args.heads:
        return _heads_main(args)
    if args.export:
        try:
            export_checkpoint(Path(args.export), Path(args.out))
        except (ValueError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0
    cfg = TrainConfig(data=args.data, out=args.out, size=args.size, steps=args.steps, minutes=args.minutes,
                      device=args.device, batch=args.batch, lr=args.lr, warmup=args.warmup, seed=args.seed,
                      threads=args.threads, eval_every=args.eval_every, eval_examples=args.eval_examples,
                      save_every=args.save_every, log_every=args.log_every, resume=args.resume, init=args.init,
                      prompt_loss=args.prompt_loss, dagger_repeat=args.dagger_repeat,
                      fork_repeat=args.fork_repeat,
                      compile=args.compile)
    return _report(lambda log: train(cfg, log=log), "config",
                   f"the last saved checkpoint in {cfg.out} stays; --resume continues it")


def _heads_main(args: argparse.Namespace) -> int:
    from autoagent.training.goal_heads import ELEMENT_PASSES, train_goal_heads

    passes = ELEMENT_PASSES if args.element_passes is None else args.element_passes
    return _report(lambda log: train_goal_heads(Path(args.init), Path(args.data), Path(args.out), lr=args.lr,
                                                seed=args.seed, threads=args.threads, element_passes=passes,
                                                compile=args.compile, log=log),
                   "", f"{args.out} is as it was")


def _report(run: Callable[[Callable[[str], None]], dict[str, Any]], hidden: str, after_interrupt: str) -> int:
    """Run a training command with its log on stderr and its summary (less ``hidden``) as one
    JSON line on stdout; bad input is one line of error (exit 2), Ctrl-C says what is kept."""
    try:
        summary = run(lambda line: print(line, file=sys.stderr, flush=True))
    except (ValueError, FileNotFoundError, PolicyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: {after_interrupt}", file=sys.stderr)
        return 130
    print(json.dumps({k: v for k, v in summary.items() if k != hidden}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
