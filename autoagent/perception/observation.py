"""What the agent sees at one step, whatever the target (phone, emulator, browser)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from autoagent.perception.tree import ScreenTree


@dataclass(frozen=True)
class Pointer:
    """What touches the screen, and how many screenshot pixels make one density-independent
    pixel (a CSS pixel in a browser): what "near" means for a touch depends on both."""

    kind: Literal["finger", "mouse"]
    px_per_dp: float


class Observation:
    """A screenshot, the screen's tree and the app in front; immutable once made.

    ``tree`` is the typed screen every reader uses. A target that has it already (the
    emulator, the browser) hands it over; one that only has uiautomator's XML (a phone)
    passes ``hierarchy`` and the tree is parsed from it once, on first use. ``hierarchy`` is
    the XML for the wire and the trace, written from the tree when only the tree was given.
    """

    screenshot: Image.Image
    app: str | None
    pointer: Pointer | None  # None: a phone of unknown density (its width is about the same in fingers)

    def __init__(self, screenshot: Image.Image, hierarchy: str | None = None, app: str | None = None,
                 tree: ScreenTree | None = None, pointer: Pointer | None = None) -> None:
        for name, value in (("screenshot", screenshot), ("app", app), ("_hierarchy", hierarchy),
                            ("_tree", tree), ("_tree_error", None), ("pointer", pointer)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Observation is immutable: cannot set {name!r}")

    @property
    def size(self) -> tuple[int, int]:
        return self.screenshot.size

    @property
    def hierarchy(self) -> str | None:
        """uiautomator XML of the screen; None when the target gave no hierarchy."""
        if self._hierarchy is None and self._tree is not None:
            object.__setattr__(self, "_hierarchy", self._tree.to_xml())
        return self._hierarchy

    @property
    def tree(self) -> ScreenTree | None:
        """The screen's nodes; None without a hierarchy. Raises ValueError (every time, parsed
        once) when the hierarchy is not valid XML."""
        if self._tree is None and self._hierarchy:
            if self._tree_error is not None:
                raise ValueError(self._tree_error)
            try:
                object.__setattr__(self, "_tree", ScreenTree.from_xml(self._hierarchy))
            except ValueError as err:
                object.__setattr__(self, "_tree_error", str(err))
                raise
        return self._tree

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Observation):
            return NotImplemented
        return (self.screenshot, self.hierarchy, self.app) == (other.screenshot, other.hierarchy, other.app)

    __hash__ = None  # type: ignore[assignment]  # the screenshot is not hashable either

    def __repr__(self) -> str:
        return (f"Observation(size={self.screenshot.size}, app={self.app!r}, "
                f"hierarchy={'yes' if self._hierarchy or self._tree else 'no'})")
