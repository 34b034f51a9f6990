"""A GLM-4.1V-architecture checkpoint (AutoGLM-Phone-9B, or a tiny test model) run in-process
with transformers.

The prompt is the same message list the served engine sends, rendered by the checkpoint's
own chat template; the screenshot is resized by the same rule. Decoding is greedy and stops
as soon as the reply holds a whole action, so a step costs no more tokens than it needs.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoagent.actions import Type
from autoagent.grammar import UnparseableReply, parse_reply
from autoagent.policy.base import Decision, PolicyError, StepInput, Turn
from autoagent.policy.compact import FORMATS as COMPACT_FORMATS
from autoagent.policy.compact import (APP_NAMES, ELEMENT_REPLIES, CompactError, Pointed, Screen, build_prompt,
                                      decode_answer, element_flags, goal_span, join_answer, needs_element,
                                      needs_span, render_screen, summarize, takes)
from autoagent.policy.decode import GreedyDecoder
from autoagent.policy.pointers import EncodedPrompt, PointerScores, encode_prompt, pointer_vectors, score_pointers
from autoagent.policy.images import DEFAULT_MAX_PIXELS, fit_image, image_tokens, target_size
from autoagent.policy.prompts import PromptOptions, build_messages, image_count
from autoagent.policy.reply import ANSWER_CLOSE, decide_from_text, reply_complete

log = logging.getLogger(__name__)
_LOADING = threading.Lock()

# Tokens that end a GLM turn; whichever the tokenizer knows are used.
STOP_TOKENS = ("<|endoftext|>", "<|user|>", "<|observation|>", "</answer>")
_STRIP_TOKENS = ("<|endoftext|>", "<|user|>", "<|observation|>", "<|assistant|>")
# Below this many parameters a CPU step runs on one thread (see LocalGLMPolicy.cpu_threads).
SMALL_MODEL_PARAMS = 50_000_000
# Written by `autoagent train`: the checkpoint reads the compact prompt, not AutoGLM's.
POLICY_FILE = "autoagent_policy.json"
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")


def read_prompt_format(folder: Path) -> dict[str, Any] | None:
    """The checkpoint's own prompt layout (``autoagent_policy.json``); None: AutoGLM's prompt."""
    path = folder / POLICY_FILE
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise PolicyError(f"{path} is damaged: {err}") from None
    if meta.get("format") not in COMPACT_FORMATS:
        raise PolicyError(f"{path} asks for prompt format {meta.get('format')!r}; this version knows "
                          f"{', '.join(map(repr, COMPACT_FORMATS))}")
    return meta


def check_checkpoint(folder: Path) -> None:
    """Raise PolicyError naming the folder and the first file a checkpoint cannot lack."""
    if not folder.is_dir():
        raise PolicyError(f"the model folder {folder} does not exist")
    missing: list[str] = []
    if not (folder / "config.json").is_file():
        missing.append("config.json")
    if not (folder / "tokenizer.json").is_file() and not (folder / "tokenizer.model").is_file():
        missing.append("tokenizer.json")
    if not (folder / "preprocessor_config.json").is_file() and not (folder / "processor_config.json").is_file():
        missing.append("preprocessor_config.json")
    weights = [name for name in _WEIGHT_FILES if (folder / name).is_file()]
    if not weights:
        missing.append("model.safetensors (or model.safetensors.index.json with its shards)")
    else:
        for name in weights:
            if name.endswith(".index.json"):
                try:
                    shards = set(json.loads((folder / name).read_text())["weight_map"].values())
                except (ValueError, KeyError) as err:
                    raise PolicyError(f"{folder / name} is damaged: {err}") from None
                missing.extend(sorted(s for s in shards if not (folder / s).is_file()))
    if missing:
        raise PolicyError(f"the model folder {folder} is incomplete: missing {', '.join(missing)}")


def _load_image_processor(folder: Path) -> Any:
    # The PIL variant needs no torchvision and resizes with the same rule as the default one.
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    if (folder / "preprocessor_config.json").is_file():
        return Glm4vImageProcessorPil.from_pretrained(folder, local_files_only=True)
    data = json.loads((folder / "processor_config.json").read_text())
    settings = dict(data.get("image_processor", data))
    settings.pop("image_processor_type", None)
    return Glm4vImageProcessorPil(**settings)


@dataclass
class _StopWatch:
    """Stopping criterion: stop once the reply holds a whole action; note when the first
    token arrived (the end of prefill). Both decode paths ask it the same question after
    every token, so they stop at the same token."""

    tokenizer: Any
    prompt_len: int
    # After a complete call inside <answer>, tokens allowed for the closing tag to arrive.
    grace: int = 3
    first: float | None = None
    complete_at: int | None = None

    def done_after(self, new_tokens: Any) -> bool:
        """True once the reply made of ``new_tokens`` (ids so far) should end."""
        if self.first is None:
            self.first = time.perf_counter()
        generated = len(new_tokens)
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=False)
        done = ANSWER_CLOSE in text
        if not done and self.complete_at is None and reply_complete(text):
            self.complete_at = generated
        if not done and self.complete_at is not None:
            done = "<answer>" not in text or generated - self.complete_at >= self.grace
        return done

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        done = self.done_after(input_ids[0, self.prompt_len:])
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


@dataclass
class LocalGLMPolicy:
    model_path: str | Path
    lang: str = "en"
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_new_tokens: int = 1024
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1"...
    max_context_tokens: int = 20_000
    ui_text: bool = True
    # The step decoder (prefix KV reuse, no generate() overhead); False: plain generate().
    fast: bool = True
    # Preallocated KV cache and CUDA graphs for the decode step; None: on CUDA only.
    static_cache: bool | None = None
    cuda_graphs: bool | None = None
    # CPU threads for a step; None: one for a small model (more threads only add OpenMP
    # hand-offs to matrices this small, and they stall badly on a busy machine), torch's
    # default otherwise.
    cpu_threads: int | None = None
    name: str = "local"
    # Compact checkpoints: how many ranked answers to consider when the best one was already
    # given on this very screen in this run (it changed nothing then); 0 or 1 turns this off.
    alternatives: int = 4
    # Encode the next step's system prompt, task and history while this step's action runs
    # (see prepare_next); the step then pays only for its screenshot and reply.
    prefill_ahead: bool = True
    _model: Any = field(default=None, init=False, repr=False)
    _ahead: threading.Thread | None = field(default=None, init=False, repr=False)
    _ahead_ms: float | None = field(default=None, init=False, repr=False)
    _tried: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False)
    _heads: Any = field(default=None, init=False, repr=False)  # GoalHeads: a second reading of the goal

    def __post_init__(self) -> None:
        self.model_path = Path(self.model_path).expanduser()
        check_checkpoint(self.model_path)
        self.name = f"local:{self.model_path.name}"
        self.prompt_format = read_prompt_format(self.model_path)
        if self.prompt_format is not None:
            self.max_new_tokens = min(self.max_new_tokens, int(self.prompt_format.get("max_new_tokens", 64)))
        self._load()

    def _load(self) -> None:
        # transformers imports its classes lazily, and two threads importing them at once (one
        # agent per device) can see a half-imported module; loads take turns instead.
        with _LOADING:
            self._load_files()

    def _load_files(self) -> None:
        import torch
        from transformers import AutoTokenizer, Glm4vForConditionalGeneration
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a bar per load is noise on the agent's terminal
        folder = self.model_path
        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self._device = torch.device(device)
        dtype = torch.bfloat16 if self._device.type == "cuda" else torch.float32
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.image_processor = _load_image_processor(folder)
            model = Glm4vForConditionalGeneration.from_pretrained(
                folder, local_files_only=True, dtype=dtype, attn_implementation="sdpa")
        except Exception as err:  # damaged or foreign files: say which folder, not a deep traceback
            raise PolicyError(f"cannot load the model in {folder}: {type(err).__name__}: {err}") from err
        self._model = model.to(self._device).eval()
        self._heads = None
        if self.prompt_format is not None:  # load_heads loads those the policy file names, if any
            from autoagent.policy.goal_heads import load_heads

            try:
                self._heads = load_heads(folder, self.prompt_format, model.config.text_config.hidden_size)
            except Exception as err:
                raise PolicyError(f"cannot load the goal heads in {folder}: {type(err).__name__}: {err}") from err
            for head in self._heads.present():
                head.to(self._device)
        if not getattr(self.tokenizer, "chat_template", None):
            raise PolicyError(f"the tokenizer in {folder} has no chat template (chat_template.jinja is missing)")
        self.image_token = getattr(self.tokenizer, "image_token", None) or "<|image|>"
        self.image_token_id = self.tokenizer.convert_tokens_to_ids(self.image_token)
        if self.image_token_id != self._model.config.image_token_id:
            raise PolicyError(f"the tokenizer in {folder} maps {self.image_token} to {self.image_token_id}, "
                              f"the model expects {self._model.config.image_token_id}")
        stops = set()
        configured = self._model.generation_config.eos_token_id
        if configured is not None:
            stops.update(configured if isinstance(configured, list) else [configured])
        unk = self.tokenizer.unk_token_id
        for token in STOP_TOKENS:
            token_id = self.tokenizer.convert_tokens_to_ids(token)
            if isinstance(token_id, int) and token_id != unk:
                stops.add(token_id)
        self.stop_ids = sorted(stops)
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.stop_ids[0]
        budget = self.image_processor.size.get("longest_edge") if isinstance(self.image_processor.size, dict) \
            else getattr(self.image_processor.size, "longest_edge", None)
        # Never hand the processor more pixels than it would keep: it would only resample again.
        self._max_pixels = min(self.max_pixels, budget) if budget else self.max_pixels
        on_cuda = self._device.type == "cuda"
        static = on_cuda if self.static_cache is None else self.static_cache
        graphs = (on_cuda and static) if self.cuda_graphs is None else self.cuda_graphs
        self._threads = self.cpu_threads
        if self._threads is None and self._device.type == "cpu":
            params = sum(p.numel() for p in self._model.parameters())
            self._threads = 1 if params < SMALL_MODEL_PARAMS else None
        self.decoder = GreedyDecoder(self._model, self.stop_ids, static=static, compile=graphs)
        if self.fast and _shapes_logits(self._model.generation_config):
            # generate() would reshape the scores (a repetition penalty...); the step decoder
            # only takes the argmax, so it would pick other tokens. Stay with generate().
            self.fast = False

    # ------------------------------------------------------------------ prompt -> tensors

    def messages_for(self, step: StepInput) -> tuple[list[dict[str, Any]], Any]:
        image = fit_image(step.observation.screenshot, self._max_pixels, exact=True)
        return self._messages(step, image.size), image

    def _messages(self, step: StepInput, image_size: tuple[int, int]) -> list[dict[str, Any]]:
        options = PromptOptions(lang=self.lang, max_context_tokens=self.max_context_tokens, ui_text=self.ui_text)
        return build_messages(step, {"type": "image"}, options, image_cost=image_tokens(*image_size))

    def prompt_prefix(self, step: StepInput) -> list[int]:
        """The tokens of ``step``'s prompt before its screenshot (system prompt, task, history):
        the part the decoder keeps from one step to the next."""
        shot = step.observation.screenshot
        messages = self._messages(step, target_size(shot.width, shot.height, self._max_pixels))
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids[:ids.index(self.image_token_id)] if self.image_token_id in ids else []

    def inputs_for(self, step: StepInput) -> dict[str, Any]:
        """The model inputs for one step, as Glm4vProcessor would build them."""
        messages, image = self.messages_for(step)
        if image_count(messages) != 1:
            raise PolicyError("the prompt must carry exactly one screenshot")
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if text.count(self.image_token) != 1:
            raise PolicyError(f"the chat template in {self.model_path} did not place one {self.image_token} "
                              "for the screenshot")
        vision = self.image_processor(images=[image], return_tensors="pt")
        merge = self.image_processor.merge_size
        count = int(vision["image_grid_thw"][0].prod()) // (merge * merge)
        text = text.replace(self.image_token, self.image_token * count)
        encoded = self.tokenizer(text, add_special_tokens=False, return_tensors="pt")
        input_ids = encoded["input_ids"]
        mm_types = (input_ids == self.image_token_id).long()
        if int(mm_types.sum()) != count:
            raise PolicyError(f"the tokenizer split {self.image_token}: expected {count} image tokens, "
                              f"found {int(mm_types.sum())}")
        return {"input_ids": input_ids, "attention_mask": encoded["attention_mask"],
                "mm_token_type_ids": mm_types, "pixel_values": vision["pixel_values"],
                "image_grid_thw": vision["image_grid_thw"]}

    # ------------------------------------------------------------------ policy protocol

    def prepare_next(self, upcoming: StepInput) -> None:
        """Start encoding the prompt prefix of ``upcoming`` (the next step, its history holding
        the decision just made) in the background, while the device acts on that decision.
        ``upcoming.observation`` stands in for the screen to come: it only bounds how much
        history fits. The next model call waits for it; a guess that proves wrong costs a
        cache miss, never a different reply (the decoder reuses only a matching prefix)."""
        if not (self.prefill_ahead and self.fast and self.prompt_format is None) or self._model is None:
            return
        self._join_ahead()
        prefix = self.prompt_prefix(upcoming)
        self._ahead = threading.Thread(target=self._prefill, args=(prefix,), name="autoagent-prefill", daemon=True)
        self._ahead.start()

    def _prefill(self, prefix: list[int]) -> None:
        started = time.perf_counter()
        try:
            with self._threads_for_step():
                self.decoder.prefill(prefix)
        except Exception as err:  # the step will prefill the prompt itself; the run goes on
            log.warning("prefilling the next prompt failed: %s: %s", type(err).__name__, err)
        self._ahead_ms = (time.perf_counter() - started) * 1000

    def _join_ahead(self) -> dict[str, float]:
        """Wait for a background prefill; its timings (ms it ran, ms the caller waited), or {}."""
        if self._ahead is None:
            return {}
        started = time.perf_counter()
        self._ahead.join()
        self._ahead = None
        return {"ahead": self._ahead_ms or 0.0, "ahead_wait": (time.perf_counter() - started) * 1000}

    def _batch(self, inputs: dict[str, Any]) -> dict[str, Any]:
        self._join_ahead()  # every model call comes through here: none may run beside a prefill
        batch = {k: v.to(self._device) for k, v in inputs.items()}
        if "pixel_values" in batch:
            batch["pixel_values"] = batch["pixel_values"].to(self._model.dtype)
        return batch

    def generate(self, inputs: dict[str, Any]) -> tuple[str, dict[str, float]]:
        """The reply to one step's inputs, by the engine's decoder (see ``fast``)."""
        return self.generate_fast(inputs) if self.fast else self.generate_plain(inputs)

    @contextmanager
    def _threads_for_step(self) -> Iterator[None]:
        import torch

        if not self._threads:
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(self._threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def generate_fast(self, inputs: dict[str, Any]) -> tuple[str, dict[str, float]]:
        """Greedy decoding with the prefix of the previous step's prompt reused; the same
        tokens as :meth:`generate_plain`."""
        ahead = self._join_ahead()
        batch = self._batch(inputs)
        watch = _StopWatch(self.tokenizer, batch["input_ids"].shape[1])
        with self._threads_for_step():
            result = self.decoder.run(batch, self.max_new_tokens, done=watch.done_after)
        text = _strip_control(self.tokenizer.decode(result.tokens, skip_special_tokens=False))
        return text, {
            "ttft": result.prefill_ms,
            "model": result.total_ms,
            "prompt_tokens": float(result.prompt_tokens),
            "reused_tokens": float(result.reused),
            "new_tokens": float(len(result.tokens)),
            "decode_tok_s": result.decode_tok_s,
            "vision_reused": float(result.vision_reused),
            **ahead,
        }

    def generate_plain(self, inputs: dict[str, Any]) -> tuple[str, dict[str, float]]:
        """transformers' own ``generate()``: the reference the fast path must match."""
        import torch

        batch = self._batch(inputs)
        prompt_len = batch["input_ids"].shape[1]
        watch = _StopWatch(self.tokenizer, prompt_len)
        started = time.perf_counter()
        with torch.inference_mode(), self._threads_for_step():
            output = self._model.generate(
                **batch, do_sample=False, max_new_tokens=self.max_new_tokens,
                eos_token_id=self.stop_ids, pad_token_id=self.pad_id, stopping_criteria=[watch])
        done = time.perf_counter()
        new = output[0, prompt_len:]
        text = self.tokenizer.decode(new, skip_special_tokens=False)
        text = _strip_control(text)
        first = watch.first or done
        tokens = int(new.shape[0])
        decode_s = done - first
        return text, {
            "ttft": (first - started) * 1000,
            "model": (done - started) * 1000,
            "prompt_tokens": float(prompt_len),
            "new_tokens": float(tokens),
            "decode_tok_s": (tokens - 1) / decode_s if tokens > 1 and decode_s > 0 else 0.0,
        }

    def decide(self, step: StepInput) -> Decision:
        if self.prompt_format is not None:
            return self._decide_compact(step)
        started = time.perf_counter()
        inputs = self.inputs_for(step)
        prepared = time.perf_counter()
        text, timings = self.generate(inputs)
        timings["prepare"] = (prepared - started) * 1000
        return decide_from_text(text, timings)

    def prompt_inputs(self, prompt: str) -> tuple[dict[str, Any], EncodedPrompt]:
        """Model inputs (text only) for a compact prompt, and where its pointers are read."""
        import torch

        encoded = encode_prompt(self.tokenizer, prompt)
        ids = torch.tensor([encoded.ids])
        inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "mm_token_type_ids": torch.zeros_like(ids)}
        return inputs, encoded

    def pointer_scores(self, inputs: dict[str, Any], encoded: EncodedPrompt) -> PointerScores:
        """The pointers' scores: one pass over the prompt (the decoder keeps only its last logits)."""
        return self.read_prompt(inputs, encoded)[0]

    def read_prompt(self, inputs: dict[str, Any], encoded: EncodedPrompt) -> tuple[PointerScores, Any]:
        """The pointers' scores and the goal words' last hidden states, from one pass over the prompt."""
        import torch

        batch = self._batch(inputs)
        span = self._heads.span if self._heads is not None else None
        element = self._heads.element if self._heads is not None else None
        with torch.inference_mode(), self._threads_for_step():
            hidden = self._model.model(**batch).last_hidden_state[0]
            scores = score_pointers(hidden, pointer_vectors(self._model, self.tokenizer), encoded, span, element)
            return scores, hidden[encoded.words]

    def launch_reply(self, reply: str, words: Any, inputs: dict[str, Any]) -> str:
        """A ``launch`` reply's app, chosen again when the checkpoint has a launch head: the model's
        log-probability of launching each app plus the head's correction, read from the goal's
        words in both directions."""
        import torch

        launch = self._heads.launch if self._heads is not None else None
        if launch is None or not reply.startswith("launch ") or words is None or not len(words):
            return reply
        replies = [f"launch {app}" for app in APP_NAMES]
        logprobs = torch.tensor(self.reply_logprobs(inputs, replies))
        with torch.inference_mode():
            corrections = launch(words[None]).float()[0].cpu()
        return replies[int((logprobs + corrections).argmax())]

    def answer(self, prompt: str) -> str:
        """The best full answer to a compact prompt (``tap [3]``, ``type 2 4``...)."""
        inputs, encoded = self.prompt_inputs(prompt)
        reply, _ = self.generate(inputs)
        (scores, words), flags = self.read_prompt(inputs, encoded), element_flags(prompt)
        reply = self.launch_reply(self.fitting_reply(reply, scores, flags, inputs), words, inputs)
        reply = self.quote_or_span(reply, scores, inputs)
        return pointed_answers(reply, scores, flags=flags)[0]

    def reply_logprobs(self, inputs: dict[str, Any], replies: Sequence[str]) -> list[float]:
        """Each reply's log-probability after the prompt, its end token included (as trained)."""
        import torch

        batch = self._batch(inputs)
        prompt = batch["input_ids"][0]
        length = prompt.shape[0]
        eos = self.tokenizer.eos_token_id
        tails = [self.tokenizer(r, add_special_tokens=False)["input_ids"] + [eos] for r in replies]
        width = length + max(map(len, tails))
        ids = torch.full((len(tails), width), self.pad_id, dtype=torch.long, device=prompt.device)
        mask = torch.zeros_like(ids)
        for row, tail in enumerate(tails):
            ids[row, :length] = prompt
            ids[row, length:length + len(tail)] = torch.tensor(tail, device=prompt.device)
            mask[row, :length + len(tail)] = 1
        with torch.inference_mode(), self._threads_for_step():
            logits = self._model(input_ids=ids, attention_mask=mask, mm_token_type_ids=torch.zeros_like(ids)).logits
        logp = torch.log_softmax(logits[:, length - 1:-1].float(), dim=-1)
        return [float(sum(logp[row, at, token] for at, token in enumerate(tail))) for row, tail in enumerate(tails)]

    def fitting_reply(self, reply: str, scores: PointerScores, flags: list[str], inputs: dict[str, Any],
                      timings: dict[str, float] | None = None) -> str:
        """The element reply to act on. The reply and the pointer are read apart, so the greedy
        reply can name a verb its best target cannot take (``tap`` with the pointer on a list
        that only scrolls, when the goal's item is further down). Then tap and both swipes are
        scored again by their joint probability (the reply's, times its best fitting target's)."""
        if not needs_element(reply):
            return reply
        ranked = scores.ranked_elements(allow_screen=reply.strip() != "tap")
        if not ranked or takes(reply, flags[ranked[0]]):
            return reply
        started = time.perf_counter()
        logprobs = dict(zip(ELEMENT_REPLIES, self.reply_logprobs(inputs, ELEMENT_REPLIES)))
        chosen = joint_best_reply(logprobs, scores, flags) or reply
        if timings is not None:
            timings["refit"] = (time.perf_counter() - started) * 1000
        return chosen

    def quote_or_span(self, reply: str, scores: PointerScores, inputs: dict[str, Any],
                      typed: tuple[tuple[int, int], ...] = (), timings: dict[str, float] | None = None) -> str:
        """A quoted ``type`` reply, or plain ``type`` (goal words) where that is more likely.

        Greedy decoding commits to the quote at its first token. A goal whose item the model
        half recognises ("three black cotton socks 3 pairs") then comes out as another
        product's name typed verbatim, although the whole quoted reply is several times less
        likely than ``type`` with its best span. Both are weighed as training fits them: the
        reply's tokens, times the span's start and end for ``type``."""
        if not reply.startswith('type "') or not scores.starts:
            return reply
        started = time.perf_counter()
        quoted, plain = self.reply_logprobs(inputs, [reply, "type"])
        span = scores.ranked_spans(1, typed)[0]
        if timings is not None:
            timings["quote_or_span"] = (time.perf_counter() - started) * 1000
        return "type" if plain + scores.span_logprob(span) > quoted else reply

    def ranked_replies(self, inputs: dict[str, Any], count: int) -> list[str]:
        """The ``count`` most likely replies (beam search), best first."""
        import torch

        batch = self._batch(inputs)
        prompt_len = batch["input_ids"].shape[1]
        with torch.inference_mode(), self._threads_for_step():
            output = self._model.generate(
                **batch, do_sample=False, num_beams=count, num_return_sequences=count,
                max_new_tokens=self.max_new_tokens, eos_token_id=self.stop_ids, pad_token_id=self.pad_id)
        return [_strip_control(self.tokenizer.decode(seq[prompt_len:], skip_special_tokens=False)).strip()
                for seq in output]

    def _decide_compact(self, step: StepInput) -> Decision:
        started = time.perf_counter()
        obs = step.observation
        screen = Screen.of(step.task, obs.tree, obs.size, self.prompt_format["format"])
        # Earlier turns of this policy carry their summary as the thought (see below).
        done = [turn.thought for turn in step.history if turn.thought]
        prompt = build_prompt(screen, obs.app, step.step, done)
        inputs, encoded = self.prompt_inputs(prompt)
        prepared = time.perf_counter()
        reply, timings = self.generate(inputs)
        pointing = time.perf_counter()
        scores, words = self.read_prompt(inputs, encoded)
        timings["pointers"] = (time.perf_counter() - pointing) * 1000
        timings["prepare"] = (prepared - started) * 1000
        flags = element_flags(prompt)
        reply = self.fitting_reply(reply, scores, flags, inputs, timings)
        reply = self.launch_reply(reply, words, inputs)
        if not step.history:
            self._tried.clear()  # a new run
        typed = typed_spans(step.task, step.history, retyping=_focused_text(screen))
        reply = self.quote_or_span(reply, scores, inputs, typed, timings)
        candidates = [a for a in pointed_answers(reply, scores, typed=typed, flags=flags)
                      if _names_something(a, screen)]
        answer = candidates[0] if candidates else reply
        # An answer given before on this same screen left it unchanged: giving it again would
        # loop. The next best target of the same reply, or else the best of the next most
        # likely replies, is taken instead (waiting excepted: a slow screen may need it twice).
        tried = self._tried.setdefault("\n".join(render_screen(screen)), set())
        if answer in tried and answer != "wait" and self.alternatives > 1:
            others = (pointed_answers(r, scores, typed=typed, flags=flags)[0]
                      for r in self.ranked_replies(inputs, self.alternatives))
            fresh = next((a for a in [*candidates[1:self.alternatives], *others]
                          if a not in tried and _names_something(a, screen)), None)
            if fresh is not None:
                answer = fresh
                timings["alternative"] = 1.0
        tried.add(answer)
        try:
            action = decode_answer(answer, screen)
        except CompactError as err:
            raise UnparseableReply(str(err), answer) from None
        return Decision(raw=answer, thought=summarize(answer, screen), action=action, timings=timings)

    def close(self) -> None:
        self._join_ahead()
        self._model = None


def pointed_answers(reply: str, scores: PointerScores, limit: int = 8,
                    typed: tuple[tuple[int, int], ...] = (), flags: list[str] | None = None) -> list[str]:
    """Full answers for a reply, best target first: its pointers' choices written in (spans
    that retype ``typed`` goal words last; with the prompt's element ``flags``, only targets
    that can take the reply, where any can)."""
    reply = reply.strip()
    if needs_element(reply):
        targets = scores.ranked_elements(allow_screen=reply != "tap")
        if flags is not None:
            targets = [e for e in targets if takes(reply, flags[e])] or targets
        return [join_answer(Pointed(reply, element=e)) for e in targets[:limit]] or [reply]
    if needs_span(reply):
        return [join_answer(Pointed(reply, span=s)) for s in scores.ranked_spans(limit, typed)] or [reply]
    return [reply]


def joint_best_reply(reply_logprobs: dict[str, float], scores: PointerScores, flags: list[str]) -> str | None:
    """The element reply whose log-probability plus its best fitting target's is highest;
    None when no target can take any of them."""
    element = scores.element_logprobs()
    best, best_score = None, -math.inf
    for reply, logprob in reply_logprobs.items():
        fitting = [element[i] for i in range(len(element)) if takes(reply, flags[i])]
        if fitting and logprob + max(fitting) > best_score:
            best, best_score = reply, logprob + max(fitting)
    return best


def typed_spans(goal: str, history: tuple[Turn, ...], retyping: str | None = None) -> tuple[tuple[int, int], ...]:
    """The goal words (first, last) that earlier Type steps of this run typed.

    A value that the focused field still shows (``retyping``) is left out: typing into that
    field replaces it, so its words may be typed again there ("Pan" corrected to "Pan Bo")."""
    spans = []
    for turn in history:
        try:
            action = parse_reply(turn.answer).action
        except UnparseableReply:
            continue
        if not isinstance(action, Type) or (retyping is not None and action.text == retyping):
            continue
        if (span := goal_span(goal, action.text)) is not None:
            spans.append(span)
    return tuple(spans)


def _focused_text(screen: Screen) -> str | None:
    return next((node.text for node in screen.elements if node.focused), None)


def _names_something(answer: str, screen: Screen) -> bool:
    try:
        decode_answer(answer, screen)
    except CompactError:
        return False
    return True


def _shapes_logits(config: Any) -> bool:
    """True when greedy generate() with this generation config is not a plain argmax."""
    return any((
        getattr(config, "repetition_penalty", None) not in (None, 1.0),
        bool(getattr(config, "no_repeat_ngram_size", None)),
        bool(getattr(config, "bad_words_ids", None)),
        bool(getattr(config, "min_new_tokens", None)),
        (getattr(config, "min_length", None) or 0) > 0,
        bool(getattr(config, "suppress_tokens", None)),
        bool(getattr(config, "begin_suppress_tokens", None)),
        bool(getattr(config, "sequence_bias", None)),
    ))


def _strip_control(text: str) -> str:
    text = text.rstrip()
    changed = True
    while changed:
        changed = False
        for token in _STRIP_TOKENS:
            if text.endswith(token):
                text = text[: -len(token)].rstrip()
                changed = True
    return text
