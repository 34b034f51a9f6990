"""Verified replay: play a recorded trace back without a model, checking every screen.

Before each recorded action the current screen is compared with the one recorded
(hierarchy: overlap of the multisets of labels and resource-ids; image: a small downscaled
grayscale comparison). A tap is not sent to the recorded coordinates: the element the
recording tapped is identified in the recorded hierarchy (text, resource-id, class, place in
the tree) and found again on the current screen, scrolling for it if the list moved. When the
screen or the element is not there, the replay stops with :class:`ReplayMismatch`, whose
message names a side-by-side picture of expected and actual, or hands over to a live policy.

    from autoagent.verified_replay import replay
    result = replay(device, "traces/20250611-buy-tshirt", artifacts_dir=tmp_path)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from autoagent.actions import Action, DoubleTap, LongPress, Swipe, Tap
from autoagent.device import Device
from autoagent.geometry import to_pixels, to_relative
from autoagent.grammar import format_reply
from autoagent.perception.observation import Observation
from autoagent.perception.tree import ScreenTree, UINode, node_at
from autoagent.policy.base import Decision, Policy, PolicyError, StepInput
from autoagent.trace import Outcome, StepRecord, read_trace

# Screens below these are "not the recorded screen". Hierarchies of the same screen with a
# reordered list or other prices stay well above; another screen of the same app falls below.
HIERARCHY_THRESHOLD = 0.55
IMAGE_THRESHOLD = 0.80  # used when either side has no hierarchy
# With hierarchies, the picture only has to be roughly alike (same theme, same layout).
IMAGE_SANITY = 0.5
THUMB = (36, 80)  # width, height of the grayscale comparison image
MAX_SCROLLS = 10
SCROLL_UP = Swipe(start=(500, 750), end=(500, 300))
# Recorded steps whose action never ran: nothing to replay.
_NOT_ACTED = {Outcome.UNPARSEABLE, Outcome.TRUNCATED, Outcome.ERROR}


class ReplayMismatch(PolicyError):
    """The device does not show what the recording saw; ``picture`` is the side-by-side PNG."""

    def __init__(self, message: str, picture: Path | None = None, step: int | None = None) -> None:
        super().__init__(message + (f" (expected vs actual: {picture})" if picture else ""))
        self.picture = picture
        self.step = step


# ---------------------------------------------------------------------------- similarity


def _tokens(nodes: list[UINode]) -> Counter[str]:
    tokens: Counter[str] = Counter()
    for n in nodes:
        if n.label:
            tokens["t:" + n.label] += 1
        if n.resource_id:
            tokens["id:" + n.resource_id.split(":id/", 1)[-1]] += 1
    return tokens


def hierarchy_similarity(a: str, b: str) -> float:
    """:func:`tree_similarity` of two hierarchy dumps."""
    return tree_similarity(ScreenTree.from_xml(a), ScreenTree.from_xml(b))


def tree_similarity(a: ScreenTree, b: ScreenTree) -> float:
    """Multiset overlap of labels and ids, 0..1; the order of elements does not matter."""
    ta, tb = _tokens(a.nodes), _tokens(b.nodes)
    if not ta and not tb:
        return 1.0
    return sum((ta & tb).values()) / max(sum(ta.values()), sum(tb.values()))


def _gray_thumb(image: Image.Image) -> np.ndarray:
    gray = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)


def image_similarity(a: Image.Image, b: Image.Image) -> float:
    """1 - mean absolute difference of small grayscale thumbnails, 0..1."""
    return float(1.0 - np.abs(_gray_thumb(a) - _gray_thumb(b)).mean() / 255.0)


@dataclass(frozen=True)
class ScreenMatch:
    hierarchy: float | None
    image: float

    @property
    def ok(self) -> bool:
        if self.hierarchy is not None:
            return self.hierarchy >= HIERARCHY_THRESHOLD and self.image >= IMAGE_SANITY
        return self.image >= IMAGE_THRESHOLD

    def describe(self) -> str:
        h = f"hierarchy {self.hierarchy:.2f} (need {HIERARCHY_THRESHOLD})" if self.hierarchy is not None else "no hierarchy"
        return f"{h}, image {self.image:.2f}"


def compare_screens(expected_xml: str | None, expected_image: Image.Image, actual: Observation) -> ScreenMatch:
    tree = actual.tree
    h = tree_similarity(ScreenTree.from_xml(expected_xml), tree) if expected_xml and tree else None
    return ScreenMatch(h, image_similarity(expected_image, actual.screenshot))


# ---------------------------------------------------------------------------- element identity


@dataclass(frozen=True)
class Identity:
    """What the recorded tap hit, in terms that survive a layout change."""

    text: str
    desc: str
    resource_id: str
    cls: str
    path: str
    center: tuple[int, int]

    def describe(self) -> str:
        parts = [f"{k}={v!r}" for k, v in (("text", self.text), ("desc", self.desc),
                                            ("id", self.resource_id.split(":id/", 1)[-1])) if v]
        return " ".join(parts) or f"{self.cls} at {self.path}"

    @property
    def anonymous(self) -> bool:
        return not (self.text or self.desc or self.resource_id)


def identify(nodes: list[UINode], pixel: tuple[int, int]) -> Identity | None:
    """The element under ``pixel``: the deepest node, or its nearest ancestor that has a name."""
    node = node_at(nodes, *pixel)
    if node is None:
        return None
    cur: UINode | None = node
    while cur is not None and not (cur.label or cur.resource_id):
        cur = nodes[cur.parent] if cur.parent is not None else None
    chosen = cur or node
    return Identity(chosen.text, chosen.desc, chosen.resource_id, chosen.cls, chosen.path, chosen.center)


def refind(identity: Identity, nodes: list[UINode]) -> UINode | None:
    """The node on the current screen that is the recorded element, or None if it is gone."""
    candidates: list[tuple[float, UINode]] = []
    for n in nodes:
        left, top, right, bottom = n.bounds
        if right <= left or bottom <= top:
            continue
        if identity.anonymous:
            # Nothing names it: only the same place in the same tree will do.
            if n.path != identity.path or n.cls != identity.cls:
                continue
        else:
            if identity.text and n.text != identity.text:
                continue
            if identity.desc and n.desc != identity.desc:
                continue
            if identity.resource_id and n.resource_id != identity.resource_id:
                continue
        score = (n.cls == identity.cls) + (n.path == identity.path)
        dx, dy = n.center[0] - identity.center[0], n.center[1] - identity.center[1]
        candidates.append((score - (dx * dx + dy * dy) ** 0.5 / 1e5, n))
    if not candidates:
        return None
    return max(candidates, key=lambda c: c[0])[1]


# ---------------------------------------------------------------------------- pictures


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Labels are often Chinese; PIL's built-in font has no CJK glyphs.
    for path in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                 "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"):
        try:
            return ImageFont.truetype(path, size, index=2)
        except OSError:
            continue
    return ImageFont.load_default()


def side_by_side(expected: Image.Image, actual: Image.Image, out: Path, *, title: str,
                 expected_mark: tuple[int, int] | None = None, actual_mark: tuple[int, int] | None = None) -> Path:
    """Write expected | actual, each with its tap mark, at a readable size."""
    height = 800
    panels = []
    for img, mark, label in ((expected, expected_mark, "expected (recorded)"), (actual, actual_mark, "actual")):
        scale = height / img.height
        panel = img.convert("RGB").resize((max(1, round(img.width * scale)), height))
        draw = ImageDraw.Draw(panel)
        if mark is not None:
            x, y = mark[0] * scale, mark[1] * scale
            draw.ellipse((x - 14, y - 14, x + 14, y + 14), outline=(229, 57, 53), width=4)
        draw.rectangle((0, 0, panel.width, 28), fill=(0, 0, 0))
        draw.text((8, 4), label, fill=(255, 255, 255), font=_font(18))
        panels.append(panel)
    gap = 16
    canvas = Image.new("RGB", (sum(p.width for p in panels) + gap, height + 36), (255, 255, 255))
    ImageDraw.Draw(canvas).text((8, 6), title[:160], fill=(0, 0, 0), font=_font(18))
    x = 0
    for p in panels:
        canvas.paste(p, (x, 36))
        x += p.width + gap
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(out)
    return out


# ---------------------------------------------------------------------------- the policy


@dataclass(frozen=True)
class RecordedStep:
    number: int
    action: Action
    raw: str
    thought: str
    screenshot: Path | None
    hierarchy: Path | None
    pixels: list[tuple[int, int]]
    screen_size: tuple[int, int] | None


def recorded_steps(trace_dir: str | Path) -> list[RecordedStep]:
    trace = read_trace(trace_dir)
    out = []
    for s in trace.steps:
        if s.action is None or s.outcome in _NOT_ACTED:
            continue
        out.append(_recorded(trace.path, s, s.action))
    if not out:
        raise PolicyError(f"the trace {trace_dir} holds no actions to replay")
    return out


def _recorded(root: Path, s: StepRecord, action: Action) -> RecordedStep:
    return RecordedStep(number=s.step, action=action, raw=s.raw, thought=s.thought,
                        screenshot=root / s.screenshot if s.screenshot else None,
                        hierarchy=root / s.hierarchy if s.hierarchy else None,
                        pixels=[tuple(p) for p in s.pixels], screen_size=s.screen_size)  # type: ignore[misc]


@dataclass
class VerifiedReplayPolicy:
    """A Policy that replays recorded actions, re-aimed at the current screen.

    ``fallback`` (a live policy) takes over at the first mismatch instead of failing. The
    agent loop has already waited for the screen to settle before each decision.
    """

    steps: list[RecordedStep]
    artifacts_dir: Path = Path(".")
    fallback: Policy | None = None
    name: str = "verified-replay"
    source: str = ""
    log: list[str] = field(default_factory=list)
    _cursor: int = field(default=0, init=False)
    _checked: int = field(default=-1, init=False)  # the recorded step whose screen was verified
    _scrolls: int = field(default=0, init=False)
    _last_scrolled: str | None = field(default=None, init=False)
    _handed_over: bool = field(default=False, init=False)

    @classmethod
    def from_trace(cls, trace_dir: str | Path, **kwargs: object) -> "VerifiedReplayPolicy":
        return cls(recorded_steps(trace_dir), source=str(trace_dir),
                   name=f"verified-replay:{Path(trace_dir).name}", **kwargs)  # type: ignore[arg-type]

    @property
    def remaining(self) -> int:
        return len(self.steps) - self._cursor

    def decide(self, step: StepInput) -> Decision:
        if self._handed_over:
            return self.fallback.decide(step)  # type: ignore[union-attr]
        if self._cursor >= len(self.steps):
            raise PolicyError(f"the replay of {self.source or 'the trace'} ran out after {len(self.steps)} actions")
        rec = self.steps[self._cursor]
        observation = step.observation
        try:
            if self._checked != self._cursor:
                self._verify_screen(rec, observation)
                self._checked = self._cursor
            action = self._aim(rec, observation)
        except ReplayMismatch as err:
            if self.fallback is None:
                raise
            self.log.append(f"handed over to {self.fallback.name}: {err}")
            self._handed_over = True
            return self.fallback.decide(step)
        if isinstance(action, Swipe) and action is SCROLL_UP:
            return Decision(raw=format_reply(f"replay: scrolling to find the element of step {rec.number}", action),
                            thought="scrolling", action=action)
        self._cursor += 1
        self._scrolls = 0
        self._last_scrolled = None
        self.log.append(f"step {rec.number}: {format_reply('', action).strip()}")
        return Decision(raw=format_reply(rec.thought or f"replay step {rec.number}", action), thought=rec.thought,
                        action=action, timings={"model": 0.0})

    def _picture(self, rec: RecordedStep, observation: Observation, why: str,
                 actual_mark: tuple[int, int] | None = None) -> Path | None:
        if rec.screenshot is None or not rec.screenshot.is_file():
            return None
        with Image.open(rec.screenshot) as expected:
            out = Path(self.artifacts_dir) / f"mismatch-step{rec.number:04d}.png"
            return side_by_side(expected, observation.screenshot, out, title=f"step {rec.number}: {why}",
                                expected_mark=rec.pixels[0] if rec.pixels else None, actual_mark=actual_mark)

    def _verify_screen(self, rec: RecordedStep, observation: Observation) -> None:
        if rec.screenshot is None or not rec.screenshot.is_file():
            return  # nothing recorded to compare with
        xml = rec.hierarchy.read_text(encoding="utf-8") if rec.hierarchy and rec.hierarchy.is_file() else None
        with Image.open(rec.screenshot) as expected:
            match = compare_screens(xml, expected, observation)
        if not match.ok:
            why = f"the screen is not the recorded one ({match.describe()})"
            raise ReplayMismatch(f"replay step {rec.number}: {why}", self._picture(rec, observation, why), rec.number)

    def _aim(self, rec: RecordedStep, observation: Observation) -> Action:
        action = rec.action
        if not isinstance(action, (Tap, DoubleTap, LongPress)):
            return action
        tree = observation.tree
        if rec.hierarchy is None or not rec.hierarchy.is_file() or tree is None:
            return action  # no identity to go by: the recorded point is all there is
        size = rec.screen_size or observation.size
        pixel = rec.pixels[0] if rec.pixels else to_pixels(action.element, size)
        identity = identify(ScreenTree.from_xml(rec.hierarchy.read_text(encoding="utf-8")).nodes, pixel)
        if identity is None:
            return action
        node = refind(identity, tree.nodes)
        if node is not None and tree.tap_reaches(node, observation.size):
            rel = to_relative(node.center, observation.size)
            return action.model_copy(update={"element": rel})
        # Below the fold, or gone: scroll until it shows or the list stops moving.
        if self._scrolls < MAX_SCROLLS and observation.hierarchy != self._last_scrolled:
            self._scrolls += 1
            self._last_scrolled = observation.hierarchy
            return SCROLL_UP
        why = f"the element it tapped ({identity.describe()}) is not on the screen"
        raise ReplayMismatch(f"replay step {rec.number}: {why}" + (" after scrolling" if self._scrolls else ""),
                             self._picture(rec, observation, why), rec.number)

    def close(self) -> None:
        if self.fallback is not None:
            self.fallback.close()


def replay(device: Device, trace_dir: str | Path, *, artifacts_dir: str | Path = ".", fallback: Policy | None = None,
           trace_root: str | Path | None = None, human: object | None = None, max_steps: int | None = None):
    """Replay a trace on ``device`` through the Agent (guard and traces apply). Returns the Agent's Result;
    a mismatch ends it with status error and the ReplayMismatch message."""
    from autoagent.agent import Agent
    from autoagent.safety import NoHuman, ScreenGuard

    trace = read_trace(trace_dir)
    policy = VerifiedReplayPolicy.from_trace(trace_dir, artifacts_dir=Path(artifacts_dir),
                                             fallback=fallback)
    agent = Agent(device=device, policy=policy, guard=ScreenGuard(), human=human or NoHuman(),  # type: ignore[arg-type]
                  max_steps=max_steps or len(policy.steps) + 2 * MAX_SCROLLS + 5,
                  trace_root=Path(trace_root or artifacts_dir) / "replays")
    try:
        return agent.run(trace.meta.task)
    finally:
        policy.close()
