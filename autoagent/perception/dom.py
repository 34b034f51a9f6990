"""A web page's DOM as a screen tree, the same nodes a phone's hierarchy gives.

Phones give us ``window_dump`` XML; browsers give us a DOM. Turning the DOM into the
phone's nodes means one guard and one prompt renderer serve both targets.

The snapshot is collected with a single ``page.evaluate`` call (one round trip): the
script walks the visible DOM, keeps the elements a user could see or touch, and returns a
flat list with parent links and CSS-pixel boxes. :func:`dom_tree` scales the boxes
to screenshot pixels and builds the tree.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from autoagent.perception.tree import ScreenTree, TreeBuilder, UINode

# A closed shadow root (attachShadow({mode: "closed"})) is unreachable from its host: the page
# keeps the only reference, and a hosted payment widget's "Pay" button would be missing from
# the hierarchy, unjudged. This script runs in every frame before the page's own scripts (an
# init script of the browser context) and keeps each closed root in a WeakMap behind a
# non-enumerable, read-only function on window, which SHADOW_ROOT_OF_JS reads. attachShadow is
# wrapped in a Proxy, so the page sees the native function (its name, length and toString).
# Not covered: roots attached before the script ran (a page already open when a device takes it
# over: they are reached after its next navigation), declarative ones (<template
# shadowrootmode="closed">, made by the parser without attachShadow), and a page that borrows
# another realm's attachShadow to hide from it (the network guard still judges what it sends).
CLOSED_ROOTS_KEY = "__aaClosedRoot"
CLOSED_ROOTS_JS = f"""
(() => {{
  if (Object.prototype.hasOwnProperty.call(window, "{CLOSED_ROOTS_KEY}")) return;
  const roots = new WeakMap();
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = new Proxy(attach, {{
    apply(target, host, args) {{
      const root = Reflect.apply(target, host, args);
      if (args[0] && args[0].mode === "closed") roots.set(host, root);
      return root;
    }}
  }});
  Object.defineProperty(window, "{CLOSED_ROOTS_KEY}", {{value: (host) => roots.get(host) || null}});
}})();
"""
# An element's shadow root, open or closed (a JS expression defining ``rootOf``), for every
# script that walks into shadow trees.
SHADOW_ROOT_OF_JS = (f"const rootOf = (el) => el.shadowRoot || "
                     f"(window.{CLOSED_ROOTS_KEY} ? window.{CLOSED_ROOTS_KEY}(el) : null);")

# Walks the DOM once. Elements that carry nothing for the user (plain wrappers) are
# flattened away so the hierarchy stays small; their children hang on the nearest kept
# ancestor. Boxes are clipped by overflow containers and the viewport, so a node's bounds
# are the part a tap can actually reach.
SNAPSHOT_JS = r"""
() => {
  /*ROOT_OF*/
  const vw = window.innerWidth, vh = window.innerHeight;
  const nodes = [], els = [];  // els[i] is the element of nodes[i]
  const covers = [];  // [box, element] of everything that may lie over other content
  // A field's value is kept whole (up to MAX_VALUE: a pasted book stays bounded): the model reads,
  // copies and checks it; other text is a label, squashed and cut at MAX_TEXT.
  const MAX_NODES = 3000, MAX_TEXT = 200, MAX_VALUE = 20000;
  const CLICK_TAGS = new Set(["A", "BUTTON", "SELECT", "TEXTAREA", "SUMMARY", "OPTION", "LABEL"]);
  const CLICK_ROLES = new Set(["button", "link", "checkbox", "radio", "tab", "menuitem", "option",
                               "switch", "menuitemcheckbox", "menuitemradio", "treeitem"]);
  const TEXT_INPUTS = new Set(["text", "search", "email", "tel", "url", "number", "password", "date",
                               "datetime-local", "month", "time", "week", ""]);
  const squash = (s) => (s || "").replace(/\s+/g, " ").trim().slice(0, MAX_TEXT);
  const value = (s) => (s || "").slice(0, MAX_VALUE);
  const ownText = (el) => {
    let t = "";
    for (const c of el.childNodes) if (c.nodeType === 3) t += c.nodeValue + " ";
    return squash(t);
  };
  // Phrasing markup inside a sentence (<b>, <span>, <code>...) with nothing interactive in it.
  const INLINE = new Set(["B", "I", "EM", "STRONG", "SPAN", "CODE", "SMALL", "MARK", "U", "S", "SUB", "SUP",
                          "ABBR", "Q", "CITE", "KBD", "SAMP", "VAR", "TIME", "DATA", "BR", "FONT"]);
  // A span that shows a pointer where its sentence does not is a link whose handler a script
  // attached (addEventListener leaves no trace a page can read): a node of its own, not words.
  const ownPointer = (c) => getComputedStyle(c).cursor === "pointer" &&
                            !(c.parentElement && getComputedStyle(c.parentElement).cursor === "pointer");
  const plainInline = (c) => INLINE.has(c.tagName) && !c.getAttribute("role") && typeof c.onclick !== "function" &&
                             !c.hasAttribute("tabindex") && !ownPointer(c) && [...c.children].every(plainInline);
  // An icon drawn by CSS (content: url(...), or the background of an empty element) named by
  // its file ("icons/delete.png" -> "delete"): what a screen reader would otherwise lack too.
  const iconName = (el, style) => {
    let source = style.content.startsWith("url(") ? style.content : "";
    if (!source && style.backgroundImage.startsWith("url(") && !el.firstElementChild && !el.textContent.trim()) {
      const r = el.getBoundingClientRect();  // a background is an icon only when icon-sized
      if (r.width <= 64 && r.height <= 64) source = style.backgroundImage;
    }
    const m = /^url\(["']?([^"')]*)["']?\)/.exec(source);
    if (!m) return null;
    let file = m[1].split(/[?#]/)[0].split("/").pop() || "";
    try { file = decodeURIComponent(file); } catch (e) { /* a stray %: the name as written */ }
    return file.replace(/\.[a-z0-9]+$/i, "").replace(/[-_]+/g, " ").trim() || "icon";
  };
  // A sentence with markup in it, read whole ('Enter "Kasie" into...'), so a value keeps its place;
  // null where the element has no text of its own beside such markup.
  const sentence = (el) => {
    let t = "", own = false, inline = false;
    for (const c of el.childNodes) {
      if (c.nodeType === 3) { t += c.nodeValue; own = own || c.nodeValue.trim() !== ""; }
      else if (c.nodeType === 1 && plainInline(c)) { t += c.tagName === "BR" ? " " : c.textContent; inline = true; }
      else if (c.nodeType === 1) t += " ";
    }
    return own && inline ? squash(t) : null;
  };
  // A canvas holds no nodes for what it draws: the model aims at its controls on the screenshot,
  // and is told so. Its accessible fallback (the controls and text inside <canvas>, which a
  // screen reader reads) is its text, each control by its label.
  const drawn = (label, role) => `${label || "Canvas"} (${role ? role + ", " : ""}drawn on a canvas: ` +
                                 "its controls are seen only in the screenshot)";
  const fallback = (el) => {
    const controls = [...el.querySelectorAll("a, button, input, select, textarea, [role], [aria-label]")]
      .map(c => squash(c.getAttribute("aria-label") || c.value || c.textContent)).filter(Boolean);
    return controls.length ? controls.join(" | ") : squash(el.textContent);
  };
  const intersect = (a, b) => [Math.max(a[0], b[0]), Math.max(a[1], b[1]),
                               Math.min(a[2], b[2]), Math.min(a[3], b[3])];
  const empty = (r) => r[2] - r[0] < 1 || r[3] - r[1] < 1;
  // The frames of this document in the order their nodes are listed, so the caller can match
  // each Playwright frame to its <iframe> node (frame_element() -> index here).
  const frames = window.__aaFrames = [];
  const active = (() => { let a = document.activeElement;
                          while (a && rootOf(a) && rootOf(a).activeElement) a = rootOf(a).activeElement;
                          return a; })();

  function describe(el, style, parentPointer) {
    const tag = el.tagName;
    const role = (el.getAttribute("role") || "").toLowerCase();
    const type = tag === "INPUT" ? (el.getAttribute("type") || "text").toLowerCase() : "";
    if (type === "hidden") return null;
    let text = "", desc = el.getAttribute("aria-label") || el.getAttribute("alt") ||
                            el.getAttribute("placeholder") || el.getAttribute("title") || "";
    let kind = "view";
    // The editing host of a contenteditable region (a rich text box) is a text field.
    const host = el.isContentEditable && !(el.parentElement && el.parentElement.isContentEditable);
    if (host && tag !== "INPUT" && tag !== "TEXTAREA") { kind = "edit"; text = el.innerText; }
    else if (tag === "CANVAS") { kind = "canvas"; text = fallback(el); desc = drawn(desc, role); }
    else if (tag === "INPUT") {
      if (type === "submit" || type === "button" || type === "reset") { kind = "button"; text = el.value; }
      else if (type === "checkbox") kind = "checkbox";
      else if (type === "radio") kind = "radio";
      else if (type === "range") kind = "seekbar";
      else if (type === "image") { kind = "imagebutton"; }
      else if (type === "file") { kind = "button"; text = el.files && el.files.length ? el.files[0].name : "Choose file";
                                  desc = desc || (el.labels && el.labels[0] ? el.labels[0].innerText : "") || "File upload"; }
      else if (TEXT_INPUTS.has(type)) { kind = "edit"; text = value(type === "password" ? "\u2022".repeat(el.value.length) : el.value); }
      else kind = "edit";
    } else if (tag === "TEXTAREA") { kind = "edit"; text = value(el.value); }
    else if (tag === "SELECT") { kind = "select"; text = [...el.selectedOptions].map(o => o.text).join(", "); }
    else if (tag === "BUTTON" || role === "button") { kind = "button"; text = sentence(el) ?? ownText(el); }
    else if (tag === "A") { kind = "link"; text = sentence(el) ?? ownText(el); }
    else if (tag === "IMG" || tag === "SVG" || tag === "svg" || tag === "PICTURE" || role === "img") { kind = "image"; }
    else if (role === "checkbox" || role === "switch") kind = "checkbox";
    else if (role === "radio") kind = "radio";
    else { text = sentence(el) ?? ownText(el); if (text) kind = "text"; }
    const icon = kind === "view" || kind === "text" ? iconName(el, style) : null;
    if (icon !== null && !text) { kind = "image"; desc = desc || icon; }
    // A link or button labelled only by its children (a product card) still gets a label.
    if ((kind === "link" || kind === "button") && !text && !desc) desc = el.innerText || "";
    const pointer = style.cursor === "pointer";
    const clickable = (CLICK_TAGS.has(tag) && !(tag === "A" && !el.hasAttribute("href")) && tag !== "LABEL") ||
                      (tag === "LABEL" && el.hasAttribute("for")) ||
                      (tag === "INPUT") || host || CLICK_ROLES.has(role) ||
                      typeof el.onclick === "function" ||
                      (el.hasAttribute("tabindex") && el.tabIndex >= 0) ||
                      (pointer && (!parentPointer || kind === "image"));  // an icon in a row: its own control
    const scrollY = (style.overflowY === "auto" || style.overflowY === "scroll") && el.scrollHeight > el.clientHeight + 1;
    const scrollX = (style.overflowX === "auto" || style.overflowX === "scroll") && el.scrollWidth > el.clientWidth + 1;
    const disabled = el.disabled === true || el.getAttribute("aria-disabled") === "true";
    const checkable = kind === "checkbox" || kind === "radio";
    const checked = checkable && (el.checked === true || el.getAttribute("aria-checked") === "true");
    const field = kind === "edit" && (tag === "INPUT" || tag === "TEXTAREA");
    return {tag: tag.toLowerCase(), kind, text: field ? text : squash(text), desc: squash(desc),
            whole: (kind === "text" || kind === "button" || kind === "link") && sentence(el) !== null,
            rid: el.id || el.getAttribute("data-testid") || el.getAttribute("name") || "",
            clickable, scrollable: scrollY || scrollX, scrolled: [el.scrollLeft, el.scrollTop],
            focused: el === active, enabled: !disabled,
            checkable, checked, pointer, leaf: host};
  }

  // A list box (<select multiple> or size > 1) shows its options in the page: each is a row a
  // tap toggles (multiple) or chooses, as in Android's choice lists; rows scrolled out are left out.
  function listOptions(select, me, box) {
    for (const o of select.options) {
      if (nodes.length >= MAX_NODES) return;
      const r = o.getBoundingClientRect();
      const obox = intersect([r.left, r.top, r.right, r.bottom], box);
      if (empty(obox)) continue;
      nodes.push({tag: "option", kind: "option", text: squash(o.text), desc: "", rid: o.id || "", parent: me,
                  box: obox, clickable: !o.disabled && !select.disabled, scrollable: false, focused: false,
                  enabled: !o.disabled && !select.disabled, checkable: true, checked: o.selected});
      els.push(o);
    }
  }

  function walk(el, parent, clip, parentPointer, depth) {
    if (nodes.length >= MAX_NODES || depth > 200) return;
    const style = getComputedStyle(el);
    if (style.display === "none") return;
    const tag = el.tagName;
    if (tag === "SCRIPT" || tag === "STYLE" || tag === "NOSCRIPT" || tag === "TEMPLATE" || tag === "HEAD") return;
    const r = el.getBoundingClientRect();
    const box = intersect([r.left, r.top, r.right, r.bottom], clip);
    const visible = style.visibility !== "hidden" && parseFloat(style.opacity || "1") > 0.01 && !empty(box);
    // What can lie over other content: fixed and sticky bars, stacked layers, large overlays, and
    // whatever is placed out of the flow (an absolutely placed button drawn over another).
    const pos = style.position;
    if (visible && pos !== "static" && (pos === "fixed" || pos === "sticky" || pos === "absolute" ||
        style.zIndex !== "auto" || (box[2] - box[0]) * (box[3] - box[1]) > 0.25 * vw * vh)) covers.push([box, el]);
    let me = parent, pointer = parentPointer, whole = false, leaf = false;
    if (tag === "IFRAME" || tag === "FRAME") {
      // A frame's own document is read separately (collect): here only where it sits. Its
      // content box is where that document's viewport begins.
      if (!visible) return;
      const inner = [r.left + el.clientLeft + parseFloat(style.paddingLeft || "0"),
                     r.top + el.clientTop + parseFloat(style.paddingTop || "0")];
      nodes.push({tag: tag.toLowerCase(), kind: "frame", text: "", rid: el.id || el.getAttribute("name") || "",
                  desc: squash(el.getAttribute("aria-label") || el.getAttribute("title") || ""),
                  parent, box, frame: frames.length, inner, clickable: false, scrollable: false,
                  focused: false, enabled: true, checkable: false, checked: false});
      frames.push(el); els.push(el);
      return;
    }
    if (visible) {
      const d = describe(el, style, parentPointer);
      if (d === null) return;
      pointer = d.pointer;
      whole = d.whole;
      leaf = d.leaf;  // a text box: its markup is its text, not nodes of their own
      // An empty element named only by its id (a board's cell, a slot a script fills) is where
      // scripts act, so it stays, as an Android view with a resource id does.
      const named = d.rid && el.id && !el.firstElementChild;
      const keep = d.clickable || d.scrollable || d.text || d.desc || d.kind !== "view" || d.focused || named;
      if (keep) {
        d.parent = parent; d.box = box; delete d.pointer; delete d.whole; delete d.leaf;
        // A link that wraps onto a second line is two boxes: the centre of both together can fall
        // beside either line's text. A control is where its widest line is.
        if (d.clickable && style.display === "inline") {
          const lines = [...el.getClientRects()].filter(q => q.width >= 1 && q.height >= 1);
          if (lines.length > 1) {
            const w = lines.reduce((a, q) => (q.width > a.width ? q : a));
            const line = intersect([w.left, w.top, w.right, w.bottom], clip);
            if (!empty(line)) d.box = line;
          }
        }
        me = nodes.length; nodes.push(d); els.push(el);
      }
    }
    let childClip = clip;
    if (style.overflowX !== "visible" || style.overflowY !== "visible") {
      childClip = intersect(clip, [r.left, r.top, r.right, r.bottom]);
      if (empty(childClip)) return;
    }
    if (style.position === "fixed") childClip = [0, 0, vw, vh];
    if (tag === "SELECT" && me !== parent && (el.multiple || el.size > 1)) listOptions(el, me, box);
    if (tag === "SELECT" || tag === "TEXTAREA" || tag === "CANVAS" || leaf) return;
    const root = rootOf(el);
    const kids = root ? [...root.children, ...el.children] : el.children;
    // The markup of a sentence read whole is in its text already; markup with an id stays a
    // node of its own too, since scripts and people name it.
    for (const c of kids) {
      if (whole && plainInline(c) && !c.id && !c.querySelector("[id]")) continue;
      walk(c, me, childClip, pointer, depth + 1);
    }
  }
  const se = document.scrollingElement || document.documentElement;
  if (document.body) walk(document.body, -1, [0, 0, vw, vh], false, 0);

  // What a touch at a point would hit: the topmost element there (through shadow roots).
  const hitAt = (x, y) => {
    let h = document.elementFromPoint(x, y);
    while (h && rootOf(h)) { const inner = rootOf(h).elementFromPoint(x, y); if (!inner || inner === h) break; h = inner; }
    return h;
  };
  // Whether a click at a point that hits `h` reaches `el`: `h` is `el`, inside it, or holds it
  // (a click on an ancestor that let the point through still reaches its handlers).
  const reaches = (h, el) => {
    for (let n = h; n; n = n.parentNode || n.host) if (n === el) return true;
    for (let n = el; n; n = n.parentNode || n.host) if (n === h) return true;
    return false;
  };
  // A control under a fixed header, a cookie banner or a modal is not where a tap lands: its
  // centre is tried first (one hit test for nearly every control), then a 3x3 grid of its cells.
  // Partly covered: its bounds shrink to the cells a touch still reaches. Wholly: it is marked
  // covered and no longer clickable; what covers it is what a tap there touches.
  // Hit tests cost time in proportion to the page, so only controls that something may lie
  // over are tested (all of them when such layers abound).
  const overlaps = (box, el) => covers.length > 200 || covers.some(([c, cel]) =>
    c[0] < box[2] && box[0] < c[2] && c[1] < box[3] && box[1] < c[3] && !cel.contains(el));
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if ((!n.clickable && n.kind !== "edit") || !overlaps(n.box, els[i])) continue;
    const [l, t, r, b] = n.box, w = r - l, h = b - t;
    if (reaches(hitAt(l + w / 2, t + h / 2), els[i])) continue;
    let box = null, first = null;
    for (let gy = 0; gy < 3; gy++) for (let gx = 0; gx < 3; gx++) {
      if (gx === 1 && gy === 1) continue;
      if (!reaches(hitAt(l + w * (gx * 2 + 1) / 6, t + h * (gy * 2 + 1) / 6), els[i])) continue;
      const cell = [l + w * gx / 3, t + h * gy / 3, l + w * (gx + 1) / 3, t + h * (gy + 1) / 3];
      first = first || cell;
      box = box ? [Math.min(box[0], cell[0]), Math.min(box[1], cell[1]), Math.max(box[2], cell[2]),
                   Math.max(box[3], cell[3])] : cell;
    }
    if (box && !reaches(hitAt((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), els[i])) box = first;  // an L shape
    if (box) n.box = box;
    else { n.covered = true; n.clickable = false; }
  }
  return {url: location.href, title: document.title, width: vw, height: vh,
          scroll_x: window.scrollX, scroll_y: window.scrollY,
          scrollable: se.scrollHeight > vh + 1 || se.scrollWidth > vw + 1,
          truncated: nodes.length >= MAX_NODES, nodes};
}
""".replace("/*ROOT_OF*/", SHADOW_ROOT_OF_JS)

# Android widget classes a phone-trained reader already knows.
CLASS_OF_KIND: dict[str, str] = {
    "button": "android.widget.Button",
    "imagebutton": "android.widget.ImageButton",
    "link": "android.widget.TextView",
    "edit": "android.widget.EditText",
    "checkbox": "android.widget.CheckBox",
    "radio": "android.widget.RadioButton",
    "seekbar": "android.widget.SeekBar",
    "select": "android.widget.Spinner",
    "option": "android.widget.CheckedTextView",  # a row of a list box (a multiple select)
    "image": "android.widget.ImageView",
    "text": "android.widget.TextView",
    "view": "android.view.View",
    "frame": "android.webkit.WebView",  # an embedded document: a web view inside the page
    # A <canvas>: a surface the page draws on itself, as a game or a map draws on Android's.
    "canvas": "android.view.SurfaceView",
}
ROOT_CLASS = "android.webkit.WebView"

class DomNode(BaseModel):
    tag: str
    kind: str
    text: str = ""
    desc: str = ""
    rid: str = ""
    parent: int = -1  # index into DomSnapshot.nodes; -1 is the page root
    box: tuple[float, float, float, float]  # left, top, right, bottom in CSS pixels, clipped
    clickable: bool = False
    scrollable: bool = False
    scrolled: tuple[float, float] = (0, 0)  # its own content's scroll offset, CSS pixels
    focused: bool = False
    enabled: bool = True
    checkable: bool = False
    checked: bool = False
    covered: bool = False  # something else lies over it: a touch on it would hit that instead
    frame: int | None = None  # an <iframe>: its place in the document's list of frames
    inner: tuple[float, float] | None = None  # an <iframe>: where its document's viewport begins


class DomSnapshot(BaseModel):
    url: str
    title: str = ""
    width: int  # viewport, CSS pixels
    height: int
    scroll_x: float = 0
    scroll_y: float = 0
    scrollable: bool = False
    truncated: bool = False
    nodes: list[DomNode] = Field(default_factory=list)


# The snapshot crosses to Python as one JSON string: Playwright's own transfer of a structured
# value walks it field by field in Python, which on a dense page (2,000 controls) cost more than
# reading the page itself.
SNAPSHOT_JSON_JS = f"() => JSON.stringify(({SNAPSHOT_JS.strip()})())"
FRAME_INDEX_JS = "el => (window.__aaFrames || []).indexOf(el)"
MAX_FRAME_DEPTH = 4


def collect(page: Any) -> DomSnapshot:
    """Snapshot a Playwright page: one ``evaluate`` round trip, plus two per frame it embeds.

    Frames, cross-origin ones included (Playwright reaches every frame's document), are read
    into the same list, placed and clipped where their ``<iframe>`` shows them: a hosted payment
    form is judged like any other part of the page.
    """
    snapshot = DomSnapshot.model_validate_json(page.main_frame.evaluate(SNAPSHOT_JSON_JS))
    if len(page.frames) > 1:
        _add_frames(page.main_frame, snapshot, 0, 0)
    return snapshot


def _add_frames(frame: Any, snapshot: DomSnapshot, first: int, depth: int) -> None:
    """Read ``frame``'s child frames into ``snapshot``, each under its <iframe> node.

    ``frame``'s own nodes start at ``first`` and are in the page's viewport already. A frame
    that goes away or is not ready while it is read is left out.
    """
    if depth >= MAX_FRAME_DEPTH:
        return
    holders = {n.frame: first + i for i, n in enumerate(snapshot.nodes[first:]) if n.frame is not None}
    for child in frame.child_frames:
        try:
            holder_at = holders.get(child.frame_element().evaluate(FRAME_INDEX_JS))
            if holder_at is None:
                continue  # a frame that is not shown (hidden, scrolled away)
            inner = DomSnapshot.model_validate_json(child.evaluate(SNAPSHOT_JSON_JS))
        except Exception:
            continue  # detached or navigating: nothing to read there now
        holder = snapshot.nodes[holder_at]
        dx, dy = holder.inner or holder.box[:2]
        start = len(snapshot.nodes)
        for node in inner.nodes:
            # What the frame's box cuts off cannot be touched; an emptied node keeps its place
            # for its children's sake.
            box = _intersect(_moved(node.box, dx, dy), holder.box)
            if box[2] < box[0] or box[3] < box[1]:
                box = (box[0], box[1], box[0], box[1])
            snapshot.nodes.append(node.model_copy(update={
                "box": box, "parent": holder_at if node.parent < 0 else start + node.parent,
                "inner": None if node.inner is None else (node.inner[0] + dx, node.inner[1] + dy)}))
        if child.child_frames:
            _add_frames(child, snapshot, start, depth + 1)


def _moved(box: tuple[float, float, float, float], dx: float, dy: float) -> tuple[float, float, float, float]:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy


def _intersect(a: tuple[float, float, float, float],
               b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def _bounds(box: tuple[float, float, float, float], sx: float, sy: float) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    return round(left * sx), round(top * sy), round(right * sx), round(bottom * sy)


def dom_tree(snapshot: DomSnapshot, screen_size: tuple[int, int], package: str = "") -> ScreenTree:
    """The page as a screen tree, with bounds in pixels of a ``screen_size`` screenshot.

    The root is the page itself (a WebView titled like the page, described by its URL).
    """
    width, height = screen_size
    sx = width / snapshot.width if snapshot.width else 1.0
    sy = height / snapshot.height if snapshot.height else 1.0
    children: dict[int, list[int]] = {}
    for i, node in enumerate(snapshot.nodes):
        children.setdefault(node.parent, []).append(i)
    builder = TreeBuilder()

    def add(i: int, parent: int) -> None:
        n = snapshot.nodes[i]
        me = builder.add(
            parent, text=n.text, resource_id=n.rid,
            cls=CLASS_OF_KIND.get(n.kind, CLASS_OF_KIND["view"]), package=package, desc=n.desc,
            bounds=_bounds(n.box, sx, sy), checkable=n.checkable, checked=n.checked, clickable=n.clickable,
            enabled=n.enabled, focusable=n.clickable or n.kind == "edit", focused=n.focused,
            scrollable=n.scrollable, scrolled=(round(n.scrolled[0] * sx), round(n.scrolled[1] * sy)))
        for child in children.get(i, []):
            add(child, me)

    root = builder.add(None, text=snapshot.title, cls=ROOT_CLASS, package=package,
                       desc=snapshot.url, bounds=(0, 0, width, height),
                       scrollable=snapshot.scrollable,
                       scrolled=(round(snapshot.scroll_x * sx), round(snapshot.scroll_y * sy)))
    for child in children.get(-1, []):
        add(child, root)
    return builder.build()


def render_hierarchy(snapshot: DomSnapshot, screen_size: tuple[int, int], package: str = "") -> str:
    """uiautomator XML for ``snapshot`` (see :func:`dom_tree`)."""
    return dom_tree(snapshot, screen_size, package).to_xml()


def find_node(nodes: list[UINode], *, text: str | None = None, resource_id: str | None = None,
              desc: str | None = None, contains: str | None = None, cls: str | None = None) -> UINode | None:
    """The first node matching every given criterion (exact text/id/desc, or a substring of its label).

    Scripted checks use it to aim at elements the way a policy would: by what is on screen.
    """
    for node in nodes:
        if text is not None and node.text != text:
            continue
        if resource_id is not None and node.resource_id != resource_id:
            continue
        if desc is not None and node.desc != desc:
            continue
        if contains is not None and contains not in node.text and contains not in node.desc:
            continue
        if cls is not None and not node.cls.endswith(cls):
            continue
        if node.bounds[2] <= node.bounds[0] or node.bounds[3] <= node.bounds[1]:
            continue
        return node
    return None
