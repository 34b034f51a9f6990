"""Train a small GLM-4.1V-architecture policy from scratch on expert demonstrations.

    python -m autoagent.training.train --data data/demos --out ckpt/tiny --size tiny --steps 2000 --device cpu

The whole loop, nanoGPT style:

1. Build a checkpoint folder: a byte-level BPE tokenizer trained on the system prompts and
   the training rows, GLM's chat template, the image processor at a small pixel budget,
   and a randomly initialised ``Glm4vForConditionalGeneration`` (config from :data:`SIZES`).
2. Load that folder with :class:`autoagent.policy.local_engine.LocalGLMPolicy` and let it
   build each example's inputs, so training sees exactly the prompt inference will.
3. Append the expert's reply (``<think>..</think><answer>..</answer>`` + end of text) and
   supervise only those tokens.
4. AdamW, linear warm-up then cosine decay, gradient clipping, a fixed seed; print step,
   loss, learning rate and tokens/s; every ``--eval-every`` steps the loss on held-out rows;
   save with ``save_pretrained`` (weights, tokenizer, chat template, image processor).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autoagent.training.demos import SPLIT_FILES, read_rows

# Vision tokens for a 1080x2400 screen: tiny 84, small ~300.
_PATCH_BLOCK = 2 * 28 * 28


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
    max_pixels: int
    mrope_section: tuple[int, int, int]  # sums to head_dim * partial_rotary_factor / 2


SIZES: dict[str, ModelSize] = {
    "tiny": ModelSize(vocab=2000, hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128, vision_depth=2,
                      vision_hidden=32, vision_heads=2, max_pixels=_PATCH_BLOCK * 100, mrope_section=(1, 1, 2)),
    "small": ModelSize(vocab=4000, hidden=256, layers=4, heads=4, kv_heads=2, intermediate=704, vision_depth=4,
                       vision_hidden=128, vision_heads=4, max_pixels=_PATCH_BLOCK * 300, mrope_section=(4, 6, 6)),
}


@dataclass
class TrainConfig:
    data: str
    out: str
    size: str = "tiny"
    steps: int = 1000
    device: str = "cpu"
    batch: int = 4  # examples per optimizer step (gradient accumulation; one example per forward)
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup: int = 20
    weight_decay: float = 0.01
    clip: float = 1.0
    seed: int = 0
    eval_every: int = 100
    eval_examples: int = 16
    save_every: int = 500
    log_every: int = 10


# ---------------------------------------------------------------------------- checkpoint


def tokenizer_corpus(rows: list[dict]) -> list[str]:
    from autoagent.policy.prompts import system_prompt

    texts = [system_prompt("en"), system_prompt("zh"), "** Screen Info **", '{"current_app": "unknown"}']
    for row in rows:
        texts.extend((row["goal"], row["hierarchy"], row["target"], json.dumps({"current_app": row["app"]})))
    return texts


def build_tokenizer(corpus: list[str], vocab_size: int):
    """Byte-level BPE with GLM's special tokens and chat template (the same layout as the tiny test model)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from autoagent.policy.tiny import CHAT_TEMPLATE, SPECIAL_TOKENS

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                 padding_side="left")
    hf.chat_template = CHAT_TEMPLATE
    return hf


def build_model(tokenizer, size: ModelSize, seed: int):
    import torch
    from transformers import (
        GenerationConfig,
        Glm4vConfig,
        Glm4vForConditionalGeneration,
    )

    from autoagent.policy.tiny import SPECIAL_TOKENS, STOP_TOKENS

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    config = Glm4vConfig(
        text_config={
            "vocab_size": len(tokenizer), "hidden_size": size.hidden, "intermediate_size": size.intermediate,
            "num_hidden_layers": size.layers, "num_attention_heads": size.heads, "num_key_value_heads": size.kv_heads,
            "max_position_embeddings": 16384, "pad_token_id": ids["<|endoftext|>"],
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
        eos_token_id=[ids[t] for t in STOP_TOKENS] + [ids["</answer>"]], pad_token_id=ids["<|endoftext|>"],
        do_sample=False)
    return model


def save_checkpoint(folder: Path, model, tokenizer, processor) -> None:
    """Write beside the folder, then swap it in: a crash mid-save keeps the last good checkpoint."""
    if folder.exists() and any(folder.iterdir()) and not (folder / "config.json").exists():
        raise ValueError(f"{folder} holds other files; give an empty folder or an earlier checkpoint")
    staging = folder.with_name(folder.name + ".saving")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)  # writes chat_template.jinja too
    processor.save_pretrained(staging)
    previous = folder.with_name(folder.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    if folder.exists():
        folder.rename(previous)
    staging.rename(folder)
    shutil.rmtree(previous, ignore_errors=True)


def init_checkpoint(folder: Path, rows: list[dict], size_name: str, seed: int):
    """Write a randomly initialised checkpoint; return (model, tokenizer, processor)."""
    from transformers.models.glm4v.image_processing_pil_glm4v import (
        Glm4vImageProcessorPil,
    )

    if size_name not in SIZES:
        raise ValueError(f"unknown size {size_name!r}: use one of {', '.join(SIZES)}")
    size = SIZES[size_name]
    tokenizer = build_tokenizer(tokenizer_corpus(rows), size.vocab)
    model = build_model(tokenizer, size, seed)
    processor = Glm4vImageProcessorPil(size={"shortest_edge": 112 * 112, "longest_edge": size.max_pixels})
    save_checkpoint(folder, model, tokenizer, processor)
    return model, tokenizer, processor


# ---------------------------------------------------------------------------- examples


class Encoder:
    """Rows -> model inputs, through the local engine's own prompt builder."""

    def __init__(self, checkpoint: Path, data: Path) -> None:
        from autoagent.policy.local_engine import LocalGLMPolicy

        self.policy = LocalGLMPolicy(checkpoint, device="cpu")
        self.tokenizer = self.policy.tokenizer
        self.data = data
        self.eos = self.tokenizer.eos_token

    def step_input(self, row: dict):
        from PIL import Image

        from autoagent.perception.observation import Observation
        from autoagent.policy.base import StepInput, Turn

        with Image.open(self.data / row["screenshot"]) as image:
            screenshot = image.convert("RGB")
        xml = (self.data / row["xml"]).read_text(encoding="utf-8")
        history = tuple(Turn(**turn) for turn in row["history"])
        return StepInput(task=row["goal"], step=row["step"],
                         observation=Observation(screenshot=screenshot, hierarchy=xml, app=row["app"]),
                         history=history)

    def encode(self, row: dict) -> dict[str, Any]:
        """input_ids = prompt + reply; labels = -100 on the prompt, the reply's ids after it."""
        import torch

        self.policy.lang = row["lang"]  # the system prompt speaks the goal's language, as at inference
        inputs = self.policy.inputs_for(self.step_input(row))
        reply = self.tokenizer(row["target"] + self.eos, add_special_tokens=False, return_tensors="pt")["input_ids"]
        prompt_len = inputs["input_ids"].shape[1]
        batch = dict(inputs)
        batch["input_ids"] = torch.cat([inputs["input_ids"], reply], dim=1)
        batch["attention_mask"] = torch.ones_like(batch["input_ids"])
        batch["mm_token_type_ids"] = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(reply)], dim=1)
        labels = torch.full_like(batch["input_ids"], -100)
        labels[:, prompt_len:] = reply
        batch["labels"] = labels
        return batch


# ---------------------------------------------------------------------------- the loop


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)


def _to(batch: dict[str, Any], device) -> dict[str, Any]:
    return {k: v.to(device) for k, v in batch.items()}


def evaluate_loss(model, encoder: Encoder, rows: list[dict], device) -> float:
    import torch

    if not rows:
        return float("nan")
    model.eval()
    total = 0.0
    with torch.no_grad():
        for row in rows:
            total += model(**_to(encoder.encode(row), device)).loss.item()
    model.train()
    return total / len(rows)


def train(cfg: TrainConfig, log=print) -> dict[str, Any]:
    """Run the training; return a summary (losses, throughput, checkpoint folder)."""
    import torch

    if cfg.steps < 1 or cfg.batch < 1:
        raise ValueError("--steps and --batch must be at least 1")
    if cfg.device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA device")
    data, out = Path(cfg.data), Path(cfg.out)
    rows = read_rows(data / SPLIT_FILES["train"])
    if not rows:
        raise ValueError(f"{data / SPLIT_FILES['train']} holds no demonstrations")
    held_path = data / SPLIT_FILES["eval"]
    held = read_rows(held_path)[: cfg.eval_examples] if held_path.is_file() else []

    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    model, tokenizer, processor = init_checkpoint(out, rows, cfg.size, cfg.seed)
    encoder = Encoder(out, data)
    device = torch.device(cfg.device)
    model.to(device).train()
    params = sum(p.numel() for p in model.parameters())
    log(f"model {cfg.size}: {params / 1e6:.2f}M parameters, vocab {len(tokenizer)}, {len(rows)} training rows, "
        f"{len(held)} held-out rows, device {device}")

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
    order: list[int] = []
    rng = random.Random(cfg.seed)
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    window_tokens, window_start = 0, time.perf_counter()
    first_eval = evaluate_loss(model, encoder, held, device) if held else float("nan")
    evals = [{"step": 0, "eval_loss": first_eval}] if held else []
    for step in range(cfg.steps):
        lr = lr_at(step, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for _ in range(cfg.batch):
            if not order:
                order = list(range(len(rows)))
                rng.shuffle(order)
            batch = _to(encoder.encode(rows[order.pop()]), device)
            window_tokens += int(batch["input_ids"].shape[1])
            loss = model(**batch).loss / cfg.batch
            loss.backward()
            loss_sum += loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        optimizer.step()
        history.append({"step": step + 1, "loss": loss_sum, "lr": lr})
        if (step + 1) % cfg.log_every == 0 or step == 0 or step + 1 == cfg.steps:
            elapsed = time.perf_counter() - window_start
            log(f"step {step + 1}/{cfg.steps} loss {loss_sum:.4f} lr {lr:.2e} tokens/s {window_tokens / elapsed:.0f}")
            window_tokens, window_start = 0, time.perf_counter()
        if held and ((step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps):
            value = evaluate_loss(model, encoder, held, device)
            evals.append({"step": step + 1, "eval_loss": value})
            log(f"step {step + 1} eval loss {value:.4f}")
        if (step + 1) % cfg.save_every == 0 and step + 1 < cfg.steps:
            save_checkpoint(out, model, tokenizer, processor)
    save_checkpoint(out, model, tokenizer, processor)
    seconds = time.perf_counter() - started
    summary = {"checkpoint": str(out), "steps": cfg.steps, "seconds": round(seconds, 2),
               "steps_per_s": round(cfg.steps / seconds, 4), "first_loss": history[0]["loss"],
               "last_loss": history[-1]["loss"], "evals": evals, "parameters": params, "config": asdict(cfg)}
    (out / "training_log.json").write_text(json.dumps({"summary": summary, "history": history}, indent=1),
                                           encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autoagent.training.train",
                                     description="Train a small GLM-4.1V policy from scratch on demonstrations.")
    parser.add_argument("--data", required=True, help="folder written by python -m autoagent.training.demos")
    parser.add_argument("--out", required=True, help="checkpoint folder to write")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--batch", type=int, default=4, help="examples per optimizer step")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-examples", type=int, default=16)
    parser.add_argument("--save-every", type=int, default=500)
    parser.add_argument("--log-every", type=int, default=10)
    args = parser.parse_args(argv)
    cfg = TrainConfig(data=args.data, out=args.out, size=args.size, steps=args.steps, device=args.device,
                      batch=args.batch, lr=args.lr, warmup=args.warmup, seed=args.seed, eval_every=args.eval_every,
                      eval_examples=args.eval_examples, save_every=args.save_every, log_every=args.log_every)
    try:
        summary = train(cfg, log=lambda line: print(line, file=sys.stderr, flush=True))
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: v for k, v in summary.items() if k != "config"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
