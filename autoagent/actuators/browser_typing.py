"""What a Type does to the focused element of a page: it replaces the element's text.

AutoGLM's Type means "make the focused field hold this text" (its reference client clears the
field first). In a page that is: select everything the field holds, then type over the
selection, so the page hears the keys or the IME commit a person's typing makes. A date or
time input takes its value the way its picker sets it (see :mod:`browser_dates`).
"""

from __future__ import annotations

from autoagent.perception.dom import SHADOW_ROOT_OF_JS

# The deepest focused element (through shadow roots, closed ones too) and what kind of field it is:
# "frame" when focus is inside a child frame, an input's type, "textarea", "editable" for a
# contenteditable region, or null when nothing that takes text has focus.
FOCUSED_KIND_JS = r"""
() => {
  /*ROOT_OF*/
  let a = document.activeElement;
  while (a && rootOf(a) && rootOf(a).activeElement) a = rootOf(a).activeElement;
  if (!a || a === document.body || a === document.documentElement) return null;
  if (a.tagName === "IFRAME" || a.tagName === "FRAME") return "frame";
  if (a.tagName === "INPUT") return (a.getAttribute("type") || "text").toLowerCase();
  if (a.tagName === "TEXTAREA") return "textarea";
  if (a.isContentEditable) return "editable";
  return null;
}
""".replace("/*ROOT_OF*/", SHADOW_ROOT_OF_JS)

# Selects all the focused field's text, so what is typed next replaces it. Returns whether the
# field held any text (an empty replacement then deletes the selection).
SELECT_ALL_JS = r"""
() => {
  /*ROOT_OF*/
  let a = document.activeElement;
  while (a && rootOf(a) && rootOf(a).activeElement) a = rootOf(a).activeElement;
  if (!a) return false;
  if (a.isContentEditable && a.tagName !== "INPUT" && a.tagName !== "TEXTAREA") {
    let host = a;  // the editing host: the outermost editable ancestor
    while (host.parentElement && host.parentElement.isContentEditable) host = host.parentElement;
    const range = document.createRange();
    range.selectNodeContents(host);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return host.textContent.length > 0;
  }
  a.select();  // text, search, url, tel, password, email, number and textarea alike
  return (a.value || "").length > 0;
}
""".replace("/*ROOT_OF*/", SHADOW_ROOT_OF_JS)

# Sets a date/time input's value as its picker does: through the value setter (a page's own
# setter override is bypassed, as the picker bypasses it), then input and change.
SET_VALUE_JS = r"""
(value) => {
  /*ROOT_OF*/
  let a = document.activeElement;
  while (a && rootOf(a) && rootOf(a).activeElement) a = rootOf(a).activeElement;
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(a, value);
  a.dispatchEvent(new Event("input", {bubbles: true}));
  a.dispatchEvent(new Event("change", {bubbles: true}));
  return a.value;
}
""".replace("/*ROOT_OF*/", SHADOW_ROOT_OF_JS)

# Input types that hold text a Type replaces (date and time inputs are set, not typed).
TEXT_TYPES = frozenset(("text", "search", "email", "tel", "url", "number", "password", "textarea", "editable"))
