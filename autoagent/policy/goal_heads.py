"""A second reading of the goal's words: small bidirectional heads on a frozen checkpoint.

The model reads its prompt left to right, so whatever it decides at a goal word is decided
before the words after it are read. For "store lucas wang's number" the start pointer of
"lucas" must say that the name starts there without having seen "wang", and it often starts
one word late; the end pointer of "station" in "text ... see you at the station 拜托了" cannot
know that "拜托了" is said to the assistant. Two heads read the goal words' last hidden states in
both directions (one :class:`GoalReader` each):

- the **span head** adds a correction to each word's start and end scores;
- the **launch head** adds a correction to the model's log-probability of launching each app
  (:data:`~autoagent.policy.compact.APP_NAMES`), from the goal's words pooled both ways: a
  request wrapped in words it never saw ("能不能帮忙...拜托了") sent the model to Messages.

A third head reads the goal against the screen: the model scores each element line before it
has read the lines after it, so a stepper's "−" is scored before the value it would lower, and
on its own the model never pressed it ("1 adult" with 2 shown: it pressed "+" in 141 of 150
such rows). The **element head** reads the lines both ways and the goal's words both ways, and
adds a correction to each line's score.

They are fitted with the checkpoint frozen (``autoagent train --heads``,
:mod:`autoagent.training.goal_heads`), and each last layer starts at zero: untrained, a head
changes nothing. A checkpoint holds them in :data:`SPAN_HEAD_FILE`, :data:`LAUNCH_HEAD_FILE` and
:data:`ELEMENT_HEAD_FILE`, with their size and numbers under ``span_head``, ``launch_head`` and
``element_head`` in ``autoagent_policy.json``; the model's own weights are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from autoagent.policy.compact import APP_NAMES

SPAN_HEAD_FILE = "span_head.safetensors"
LAUNCH_HEAD_FILE = "launch_head.safetensors"
ELEMENT_HEAD_FILE = "element_head.safetensors"
DEFAULT_WIDTH = 128


class GoalReader(torch.nn.Module):
    """Goal-word hidden states (batch, words, hidden) -> each word read both ways (batch, words, 2 * width)."""

    def __init__(self, hidden: int, width: int = DEFAULT_WIDTH) -> None:
        super().__init__()
        self.norm = torch.nn.LayerNorm(hidden)
        self.project = torch.nn.Linear(hidden, width)
        self.context = torch.nn.GRU(width, width // 2, batch_first=True, bidirectional=True)

    def forward(self, words: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = torch.tanh(self.project(self.norm(words.float())))
        if lengths is None:
            around, _ = self.context(x)
        else:  # padded batch: each row's backward pass must start at its own last word
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                             enforce_sorted=False)
            around, _ = self.context(packed)
            around, _ = torch.nn.utils.rnn.pad_packed_sequence(around, batch_first=True, total_length=x.shape[1])
        return torch.cat([x, around], -1)


def _zero_linear(inputs: int, outputs: int) -> torch.nn.Linear:
    layer = torch.nn.Linear(inputs, outputs)
    torch.nn.init.zeros_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    return layer


class SpanHead(torch.nn.Module):
    """Goal-word hidden states -> corrections to each word's (start, end) scores (batch, words, 2)."""

    def __init__(self, hidden: int, width: int = DEFAULT_WIDTH) -> None:
        super().__init__()
        self.reader = GoalReader(hidden, width)
        self.correct = _zero_linear(2 * width, 2)

    @property
    def width(self) -> int:
        return self.reader.project.out_features

    def forward(self, words: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.correct(self.reader(words, lengths))


def _pooled(read: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Each row's read words, their mean and their peak side by side (batch, 2 * features)."""
    if lengths is None:
        lengths = torch.full((read.shape[0],), read.shape[1])
    valid = (torch.arange(read.shape[1], device=read.device)[None, :] < lengths.to(read.device)[:, None])[..., None]
    mean = (read * valid).sum(1) / valid.sum(1).clamp(min=1)
    peak = read.masked_fill(~valid, torch.finfo(read.dtype).min).amax(1)
    return torch.cat([mean, peak], -1)


class LaunchHead(torch.nn.Module):
    """Goal-word hidden states -> corrections to launching each of APP_NAMES (batch, apps)."""

    def __init__(self, hidden: int, width: int = DEFAULT_WIDTH) -> None:
        super().__init__()
        self.reader = GoalReader(hidden, width)
        self.correct = _zero_linear(4 * width, len(APP_NAMES))

    @property
    def width(self) -> int:
        return self.reader.project.out_features

    def forward(self, words: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.correct(_pooled(self.reader(words, lengths), lengths))


class ElementHead(torch.nn.Module):
    """Element-line and goal-word hidden states -> corrections to each element's score (batch, lines)."""

    def __init__(self, hidden: int, width: int = DEFAULT_WIDTH) -> None:
        super().__init__()
        self.lines = GoalReader(hidden, width)  # the same reading both ways, over the screen's lines
        self.reader = GoalReader(hidden, width)
        self.mix = torch.nn.Linear(6 * width, width)
        self.correct = _zero_linear(width, 1)

    @property
    def width(self) -> int:
        return self.reader.project.out_features

    def forward(self, lines: torch.Tensor, words: torch.Tensor, line_lengths: torch.Tensor | None = None,
                word_lengths: torch.Tensor | None = None) -> torch.Tensor:
        read_lines = self.lines(lines, line_lengths)
        goal = _pooled(self.reader(words, word_lengths), word_lengths)
        both = torch.cat([read_lines, goal[:, None, :].expand(-1, read_lines.shape[1], -1)], -1)
        return self.correct(torch.tanh(self.mix(both)))[..., 0]


@dataclass
class GoalHeads:
    """The heads a checkpoint has (None: it has not that one)."""

    span: SpanHead | None = None
    launch: LaunchHead | None = None
    element: ElementHead | None = None

    def present(self) -> list[torch.nn.Module]:
        return [head for head in (self.span, self.launch, self.element) if head is not None]


# Policy-file key -> (file, kind): the one list of heads that loading, saving and training read.
_FILES = {"span_head": (SPAN_HEAD_FILE, SpanHead), "launch_head": (LAUNCH_HEAD_FILE, LaunchHead),
          "element_head": (ELEMENT_HEAD_FILE, ElementHead)}
HEAD_KEYS = tuple(_FILES)
HEAD_FILES = tuple(file for file, _ in _FILES.values())


def save_head(folder: Path, head: SpanHead | LaunchHead | ElementHead) -> None:
    from safetensors.torch import save_file

    name = next(file for file, kind in _FILES.values() if type(head) is kind)
    save_file({k: v.detach().contiguous() for k, v in head.state_dict().items()}, str(folder / name))


def load_heads(folder: Path, policy: dict[str, Any] | None, hidden: int) -> GoalHeads:
    """The heads that the checkpoint's policy file names, loaded from their files."""
    from safetensors.torch import load_file

    heads = GoalHeads()
    for key, (name, kind) in _FILES.items():
        meta = (policy or {}).get(key)
        if not meta:
            continue
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"{folder} names a {key.replace('_', ' ')} in its policy file but has no {name}")
        head = kind(hidden, int(meta.get("width", DEFAULT_WIDTH)))
        head.load_state_dict(load_file(str(path)))
        setattr(heads, key.removesuffix("_head"), head.eval())
    return heads
