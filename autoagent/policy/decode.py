"""Greedy decoding for one agent step, cheaper than ``model.generate()`` with the same tokens.

Between two steps of a task the prompt changes little: the system prompt, the task and
the earlier turns come first, the new screenshot and its text last. :class:`GreedyDecoder`
keeps the KV cache of everything before the first image token and, at the next step, runs
only the tokens after the longest prefix the two prompts share. KV entries of a prefix
depend only on the prefix (causal attention, and text before the first image sits at
plain positions in GLM-4.1V's 3D RoPE), so reusing them changes no token of the result.

The loop itself is the plain greedy one ``generate()`` runs (argmax, stop on an end token,
on a stop check, or at ``max_new_tokens``) without the machinery around it. With
``static=True`` the cache is preallocated (:class:`transformers.StaticCache`) and, on CUDA,
the one-token decode step is compiled with CUDA graphs (``torch.compile`` mode
``reduce-overhead``); the first steps then pay the compilation.

:meth:`GreedyDecoder.prefill` encodes a known prefix ahead of time (the next step's system
prompt, task and history, while the device carries out this step's action), so that the
step itself runs only the screenshot, its text and the reply. It goes through the same
prefix match as a step: a prefix that turns out wrong is only a cache miss.

A screenshot whose pixels equal the previous step's (a re-ask, or an action that changed
nothing on screen) reuses that step's vision encoding: the image's KV cannot be kept, since
it sits after the history, which changed, but the vision tower need not run again.
"""

from __future__ import annotations

import functools
import inspect

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Static caches grow in steps of this many tokens, so a slightly longer prompt does not
# allocate (and recompile) anew.
STATIC_BLOCK = 1024


@dataclass
class DecodeResult:
    tokens: list[int]  # the new tokens, the stop token included (as generate() returns them)
    prefill_ms: float  # until the first new token was known
    total_ms: float
    reused: int  # prompt tokens whose KV came from the previous step
    prompt_tokens: int
    vision_reused: bool = False  # the screenshot's vision encoding came from the previous step

    @property
    def decode_tok_s(self) -> float:
        n = len(self.tokens) - 1
        spent = (self.total_ms - self.prefill_ms) / 1000
        return n / spent if n > 0 and spent > 0 else 0.0


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


@functools.cache
def _cache_keyword(forward: Any) -> str:
    # transformers 5.x renamed past_key_values to cache and warns on every call with the old name;
    # older releases (>= 4.57, which the package allows) know only past_key_values.
    return "cache" if "cache" in inspect.signature(forward).parameters else "past_key_values"


def _cache_argument(model: Any) -> str:
    return _cache_keyword(type(model).forward)


@functools.cache
def _takes_encoder_outputs(forward: Any) -> bool:
    # transformers >= 5.x lets a caller hand in the vision encoding; older releases always encode.
    return "mm_encoder_outputs" in inspect.signature(forward).parameters


def _carry_prefix(old: Any, new: Any, reuse: int) -> int:
    """Copy the first ``reuse`` positions of a full static cache into a larger one, so that a
    prompt that outgrows its buffer still reuses the prefix; returns how many were carried."""
    if reuse == 0 or not all(layer.is_initialized for layer in old.layers):
        return 0
    for before, after in zip(old.layers, new.layers):
        after.lazy_initialization(before.keys, before.values)
        after.keys[:, :, :reuse].copy_(before.keys[:, :, :reuse])
        after.values[:, :, :reuse].copy_(before.values[:, :, :reuse])
    return reuse


@dataclass
class GreedyDecoder:
    model: Any  # a Glm4vForConditionalGeneration (or any model taking 3D RoPE positions alike)
    stop_ids: Sequence[int]
    static: bool = False
    compile: bool = False  # CUDA graphs for the decode step; needs static=True
    reuse_prefix: bool = True
    _ids: list[int] = field(default_factory=list, init=False)  # tokens held in _cache
    # Positions a step used past its shared prefix (screen, reply): room a prefill keeps free.
    _tail: int = field(default=0, init=False)
    _cache: Any = field(default=None, init=False, repr=False)
    _step_fn: Callable[..., Any] | None = field(default=None, init=False, repr=False)
    # The last screenshot: (pixel_values, image_grid_thw, its vision encoding).
    _screen: tuple[Any, Any, Any] | None = field(default=None, init=False, repr=False)

    def reset(self) -> None:
        """Forget the cached prefix and screen (the next call encodes the whole prompt)."""
        self._ids, self._cache, self._step_fn, self._screen = [], None, None, None

    def prefill(self, prefix: Sequence[int]) -> int:
        """Encode ``prefix`` (text tokens that a coming prompt should start with) into the
        cache; returns how many tokens ran (those past what the cache already held)."""
        import torch

        if not self.reuse_prefix or not prefix:
            return 0
        ids = [int(t) for t in prefix]
        reuse = common_prefix(self._ids, ids)
        if reuse == len(ids):
            return 0
        device = self.model.device
        input_ids = torch.tensor([ids], device=device)
        cache, reuse = self._cache_for(reuse, len(ids) + self._tail)
        positions, _ = self._positions(input_ids, torch.zeros_like(input_ids), None)
        try:
            with torch.inference_mode():
                self._forward(cache, input_ids=input_ids[:, reuse:], position_ids=positions[:, :, reuse:])
        except BaseException:
            self.reset()  # the cache may hold part of the prefix: trust none of it
            raise
        self._cache, self._ids = cache, ids
        return len(ids) - reuse

    def _positions(self, input_ids: Any, mm: Any, inputs: dict[str, Any] | None) -> tuple[Any, Any]:
        """The prompt's position ids, (4, 1, length): row 0 plain positions (the mask), rows 1-3
        the temporal, height and width RoPE positions; and the RoPE offset of what follows."""
        import torch

        inputs = inputs or {}
        rope, delta = self.model.model.get_rope_index(
            input_ids, mm_token_type_ids=mm, image_grid_thw=inputs.get("image_grid_thw"),
            video_grid_thw=inputs.get("video_grid_thw"))
        text_pos = torch.arange(input_ids.shape[1], device=input_ids.device).view(1, 1, -1)
        return torch.cat([text_pos, rope.to(input_ids.device)], dim=0), delta

    def _vision_inputs(self, extra: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """``extra`` (the processor's vision tensors) with the screenshot encoded, or its encoding
        reused when its pixels equal the last one's; and whether it was reused."""
        import torch

        pixels, grid = extra.get("pixel_values"), extra.get("image_grid_thw")
        if pixels is None or grid is None or not _takes_encoder_outputs(type(self.model).forward):
            return extra, False
        held = self._screen
        reused = (held is not None and held[0].shape == pixels.shape and held[1].shape == grid.shape
                  and torch.equal(held[1], grid) and torch.equal(held[0], pixels))
        if reused:
            encoded = held[2]
        else:
            encoded = self.model.model.get_image_features(pixels, grid, return_dict=True)
            self._screen = (pixels, grid, encoded)
        rest = {k: v for k, v in extra.items() if k != "pixel_values"}
        return {**rest, "mm_encoder_outputs": {"image": encoded}}, reused

    # ------------------------------------------------------------------ cache handling

    def _cache_for(self, reuse: int, needed: int) -> tuple[Any, int]:
        """A cache holding the first ``reuse`` tokens of the prompt, with room for ``needed``."""
        from transformers import DynamicCache, StaticCache

        if self.static:
            cache = self._cache
            if cache is None or cache.layers[0].max_cache_len < needed:
                size = -(-needed // STATIC_BLOCK) * STATIC_BLOCK
                grown = StaticCache(config=self.model.config, max_cache_len=size)
                reuse = _carry_prefix(cache, grown, reuse) if cache is not None else 0
                cache = grown
                self._step_fn = None  # a new buffer: a compiled step must be captured again
            for layer in cache.layers:
                # Rewinding a static cache is moving its write position; what lies beyond is
                # masked as the future and overwritten before it is read.
                if layer.is_initialized:
                    layer.cumulative_length.fill_(reuse)
            return cache, reuse
        if self._cache is None or reuse == 0:
            return DynamicCache(config=self.model.config), 0
        held = self._cache.get_seq_length()
        if held > reuse:
            self._cache.crop(reuse - held)
        return self._cache, reuse

    # ------------------------------------------------------------------ decoding

    def _forward(self, cache: Any, **kwargs: Any) -> Any:
        return self.model(**{_cache_argument(self.model): cache}, use_cache=True, logits_to_keep=1, **kwargs).logits

    def _one_token(self, cache: Any) -> Callable[[Any, Any], Any]:
        """The decode step: (token (1,1), positions (4,1,1)) -> logits (1,1,V)."""
        def step(token: Any, positions: Any) -> Any:
            return self._forward(cache, input_ids=token, position_ids=positions)

        if not (self.compile and self.static):
            return step
        if self._step_fn is None:
            import torch

            self._step_fn = torch.compile(step, mode="reduce-overhead", fullgraph=False)
        return self._step_fn

    def run(self, inputs: dict[str, Any], max_new_tokens: int,
            done: Callable[[list[int]], bool] | None = None) -> DecodeResult:
        """Greedy-decode one reply. ``inputs`` are the processor's tensors (batch of one) on
        the model's device; ``done(tokens)`` is asked after every new token."""
        import torch

        started = time.perf_counter()
        input_ids = inputs["input_ids"]
        if input_ids.shape[0] != 1:
            raise ValueError("the decoder runs one prompt at a time")
        ids = input_ids[0].tolist()
        length = len(ids)
        mm = inputs.get("mm_token_type_ids")
        # Everything before the first image token can be kept for the next step.
        first_media = int(mm[0].nonzero()[0]) if mm is not None and bool(mm.any()) else length - 1
        reuse = common_prefix(self._ids, ids[:first_media]) if self.reuse_prefix else 0
        reuse = min(reuse, length - 1)  # at least one token must run to give the next logits
        cache, reuse = self._cache_for(reuse, length + max_new_tokens)

        positions, delta = self._positions(input_ids, mm, inputs)

        extra = {k: v for k, v in inputs.items()
                 if k in ("pixel_values", "image_grid_thw", "pixel_values_videos", "video_grid_thw")}
        tokens: list[int] = []
        stops = set(int(s) for s in self.stop_ids)
        with torch.inference_mode():
            extra, vision_reused = self._vision_inputs(extra)
            logits = self._forward(cache, input_ids=input_ids[:, reuse:], position_ids=positions[:, :, reuse:],
                                   mm_token_type_ids=mm[:, reuse:] if mm is not None else None, **extra)
            token = logits[:, -1].argmax(-1, keepdim=True)
            prefill_done = time.perf_counter()
            step = self._one_token(cache)
            offset = int(delta.reshape(-1)[0])
            while True:
                value = int(token)
                tokens.append(value)
                if value in stops or len(tokens) >= max_new_tokens or (done is not None and done(tokens)):
                    break
                at = length + len(tokens) - 1
                pos = torch.tensor([at, at + offset, at + offset, at + offset],
                                   device=input_ids.device).view(4, 1, 1)
                logits = step(token, pos)
                token = logits[:, -1].argmax(-1, keepdim=True)
        finished = time.perf_counter()

        self._cache = cache
        # Keep only the part the next step can share.
        self._ids = ids[:first_media] if self.reuse_prefix else []
        self._tail = length + max_new_tokens - first_media
        if not self.static:
            held = cache.get_seq_length()
            if held > len(self._ids):
                cache.crop(len(self._ids) - held)
        return DecodeResult(tokens=tokens, prefill_ms=(prefill_done - started) * 1000,
                            total_ms=(finished - started) * 1000, reused=reuse, prompt_tokens=length,
                            vision_reused=vision_reused)
