"""A second reading of the goal's words for the span pointers: a small bidirectional layer.

The model reads its prompt left to right, so the start pointer of a goal word is scored
before the words after it are read: for "store lucas wang's number" it must decide that
the name starts at "lucas" without having seen "wang", and it often starts one word late;
the end pointer of "station" in "text ... see you at the station 拜托了" cannot know that
"拜托了" is said to the assistant, not part of the message. This layer runs over the goal
words' last hidden states in both directions and adds a correction to each word's start
and end scores. It is trained with the checkpoint frozen (``autoagent train --span-head``,
:mod:`autoagent.training.span_head`), and its last layer starts at zero: untrained, the
scores are the model's own.

A checkpoint that has one holds it in :data:`SPAN_HEAD_FILE`, with its size under
``span_head`` in ``autoagent_policy.json``; the weights of the model itself are untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

SPAN_HEAD_FILE = "span_head.safetensors"
DEFAULT_WIDTH = 128


class SpanHead(torch.nn.Module):
    """Goal-word hidden states (batch, words, hidden) -> corrections to (start, end) scores."""

    def __init__(self, hidden: int, width: int = DEFAULT_WIDTH) -> None:
        super().__init__()
        self.norm = torch.nn.LayerNorm(hidden)
        self.project = torch.nn.Linear(hidden, width)
        self.context = torch.nn.GRU(width, width // 2, batch_first=True, bidirectional=True)
        self.correct = torch.nn.Linear(2 * width, 2)
        torch.nn.init.zeros_(self.correct.weight)
        torch.nn.init.zeros_(self.correct.bias)

    def forward(self, words: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = torch.tanh(self.project(self.norm(words.float())))
        if lengths is None:
            around, _ = self.context(x)
        else:  # padded batch: each row's backward pass must start at its own last word
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                             enforce_sorted=False)
            around, _ = self.context(packed)
            around, _ = torch.nn.utils.rnn.pad_packed_sequence(around, batch_first=True, total_length=x.shape[1])
        return self.correct(torch.cat([x, around], -1))


def save_span_head(folder: Path, head: SpanHead) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous() for k, v in head.state_dict().items()}, str(folder / SPAN_HEAD_FILE))


def load_span_head(folder: Path, policy: dict[str, Any] | None, hidden: int) -> SpanHead | None:
    """The checkpoint's span head, or None when it has none."""
    from safetensors.torch import load_file

    meta = (policy or {}).get("span_head")
    if not meta:
        return None
    path = folder / SPAN_HEAD_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} names a span head in its policy file but has no {SPAN_HEAD_FILE}")
    head = SpanHead(hidden, int(meta.get("width", DEFAULT_WIDTH)))
    head.load_state_dict(load_file(str(path)))
    return head.eval()
