"""A `<select>` opened the way Android opens a Spinner: as a list drawn in the page.

Chromium draws a select's options in a native popup that is neither in the DOM nor in a
headless screenshot, and a tap on it closes it without choosing. So a tap that lands on a
select opens this list instead; the hierarchy and the screenshot both show its options, and a
tap on one chooses it (firing ``input`` and ``change`` as a person's choice does). A tap beside
the list closes it.

A list box (``<select multiple>``) shows its options in the page already; a tap on one toggles
it, as a row of Android's multiple-choice list does (a plain click would drop every other choice).
"""

from __future__ import annotations

OPEN_SELECT_JS = r"""
([x, y]) => {
  const LIST_ID = "__autoagent_select";
  const old = document.getElementById(LIST_ID);
  if (old) return false;  // a list is open: the tap goes to it
  let el = document.elementFromPoint(x, y);
  const hit = el;
  while (el && el.tagName !== "SELECT") el = el.parentElement;
  if (el && el.multiple && hit.tagName === "OPTION") {
    if (el.disabled || hit.disabled) return true;  // nothing to choose; no native click either
    hit.selected = !hit.selected;
    el.focus();
    el.dispatchEvent(new Event("input", {bubbles: true}));
    el.dispatchEvent(new Event("change", {bubbles: true}));
    return true;
  }
  if (!el || el.disabled || el.multiple || el.size > 1) return false;
  const select = el;
  const shade = document.createElement("div");
  shade.id = LIST_ID;
  shade.setAttribute("aria-label", "Close the list");
  shade.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,0.32)";
  shade.onclick = (e) => { if (e.target === shade) shade.remove(); };
  const list = document.createElement("div");
  list.setAttribute("role", "listbox");
  const box = select.getBoundingClientRect();
  const width = Math.max(box.width, Math.min(280, innerWidth - 16));
  const left = Math.min(Math.max(8, box.left), innerWidth - width - 8);
  list.style.cssText = `position:absolute;left:${left}px;width:${width}px;max-height:${innerHeight - 32}px;` +
    "top:16px;overflow-y:auto;background:#fff;color:#000;font:16px sans-serif;box-shadow:0 2px 8px #0006";
  for (const option of select.options) {
    const row = document.createElement("div");
    row.setAttribute("role", "option");
    row.setAttribute("aria-selected", String(option.selected));
    row.textContent = option.text;
    row.style.cssText = "padding:12px 16px;min-height:24px" + (option.disabled ? ";color:#999" : "");
    if (option.disabled) row.setAttribute("aria-disabled", "true");
    if (!option.disabled) row.onclick = () => {
      select.value = option.value;
      select.dispatchEvent(new Event("input", {bubbles: true}));
      select.dispatchEvent(new Event("change", {bubbles: true}));
      shade.remove();
    };
    list.appendChild(row);
  }
  shade.appendChild(list);
  document.body.appendChild(shade);
  const chosen = list.children[select.selectedIndex];
  if (chosen) chosen.scrollIntoView({block: "nearest"});
  return true;
}
"""
