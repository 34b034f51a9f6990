"""Pointers of the compact format: where they sit in the tokens, how they are scored, what they pick.

A pointer is read at one token of the prompt: the newline that ends an element line, or the
last token of a goal word. Its score is that position's logit for :data:`~autoagent.policy.compact.PICK`
(an element, or a span's first word) or :data:`~autoagent.policy.compact.PICK_END` (a span's
last word): one dot product with a row of the output layer, so a checkpoint is a plain
``Glm4vForConditionalGeneration`` and training and inference score the same way. A checkpoint
may add heads (:mod:`autoagent.policy.goal_heads`) that correct the span and element scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from autoagent.policy.compact import PICK, PICK_END, CompactError, pointer_places

# The longest span of goal words a pointer pair may type (a message of a few dozen words).
MAX_SPAN_WORDS = 48


@dataclass(frozen=True)
class EncodedPrompt:
    """A compact prompt as token ids, with the token index of every pointer."""

    ids: list[int]
    elements: list[int]  # element 0 (the whole screen), then 1..N
    words: list[int]  # goal word 0..M-1


def encode_prompt(tokenizer: Any, prompt: str) -> EncodedPrompt:
    """The prompt as one user turn of the checkpoint's chat template, ready to answer; training
    encodes its rows through here too, so both see the same tokens."""
    text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                         add_generation_prompt=True)
    offset = text.find(prompt)
    if offset < 0:
        raise CompactError("the chat template changed the prompt's text")
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    owner = [-1] * len(text)
    for index, (start, end) in enumerate(encoded["offset_mapping"]):
        for char in range(start, end):
            owner[char] = index  # a character split over byte tokens belongs to the last of them
    places = pointer_places(prompt)
    elements = [owner[offset + c] for c in places.elements]
    words = [owner[offset + c] for c in places.words]
    if min(elements + words, default=0) < 0:
        raise CompactError("a pointer position has no token")
    return EncodedPrompt(ids=list(encoded["input_ids"]), elements=elements, words=words)


def pointer_vectors(model: Any, tokenizer: Any) -> Any:
    """The output layer's rows for PICK and PICK_END, stacked (2, hidden)."""
    ids = [tokenizer.convert_tokens_to_ids(t) for t in (PICK, PICK_END)]
    if any(i is None or i == tokenizer.unk_token_id for i in ids):
        raise CompactError(f"the tokenizer has no {PICK} / {PICK_END}: not a pointer checkpoint")
    return model.lm_head.weight[ids]


@dataclass(frozen=True)
class PointerScores:
    elements: list[float]
    starts: list[float]
    ends: list[float]

    def ranked_elements(self, allow_screen: bool) -> list[int]:
        first = 0 if allow_screen else 1
        return sorted(range(first, len(self.elements)), key=lambda i: -self.elements[i])

    def element_logprobs(self) -> list[float]:
        """Log-probability of each element (0 the whole screen) under the pointer's softmax,
        the distribution training fits."""
        return _log_softmax(self.elements)

    def span_logprob(self, span: tuple[int, int]) -> float:
        """Log-probability of a span (first word, last word): the start's and the end's
        softmaxes over the goal words, the distributions training fits."""
        return _log_softmax(self.starts)[span[0]] + _log_softmax(self.ends)[span[1]]

    def ranked_spans(self, limit: int = 8, typed: tuple[tuple[int, int], ...] = ()) -> list[tuple[int, int]]:
        """Spans (first word, last word) by start score plus end score, best first.

        Spans sharing a word with one already ``typed`` in this run come after all others: a
        goal's values are each typed once, and retyping part of one (``Jia`` of ``Feng Jia``
        into the phone field) is the pointers' commonest mistake on later fields.
        """
        def retypes(a: int, b: int) -> bool:
            return any(a <= last and first <= b for first, last in typed)

        spans = [(retypes(a, b), -(self.starts[a] + self.ends[b]), a, b) for a in range(len(self.starts))
                 for b in range(a, min(len(self.ends), a + MAX_SPAN_WORDS))]
        spans.sort()
        return [(a, b) for _, _, a, b in spans[:limit]]


def _log_softmax(scores: list[float]) -> list[float]:
    if not scores:
        return []
    top = max(scores)
    norm = top + math.log(sum(math.exp(s - top) for s in scores))
    return [s - norm for s in scores]


def score_pointers(hidden: Any, vectors: Any, encoded: EncodedPrompt, span_head: Any = None,
                   element_head: Any = None) -> PointerScores:
    """Scores from the last hidden states of one prompt (sequence, hidden); a checkpoint's
    :class:`~autoagent.policy.goal_heads.SpanHead` and
    :class:`~autoagent.policy.goal_heads.ElementHead`, if given, correct the span and element scores."""
    elements = hidden[encoded.elements].float() @ vectors[0].float()
    if element_head is not None and encoded.words:
        elements = elements + element_head(hidden[encoded.elements][None], hidden[encoded.words][None])[0]
    words = hidden[encoded.words].float() @ vectors.float().T if encoded.words else None
    if words is not None and span_head is not None:
        words = words + span_head(hidden[encoded.words][None])[0]
    return PointerScores(elements=elements.tolist(), starts=words[:, 0].tolist() if words is not None else [],
                         ends=words[:, 1].tolist() if words is not None else [])
