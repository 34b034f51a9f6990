"""Render a trace as one self-contained HTML page: screenshots with tap marks, thoughts, timings.

Each screen is embedded as a thumbnail; a click on it opens the trace's own screenshot at its
natural size, marks included (a desktop screen is unreadable at thumbnail width). That view
reads the screenshot file from the trace folder, so the page stays small.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path
from urllib.parse import quote

from PIL import Image

from autoagent.actuators.execute import pixel_points
from autoagent.safety.types import Approval, Verdict
from autoagent.trace import Outcome, Reply, StepRecord, Trace, clip_record, remove_stale_temp

# Screens are shown at this width; a 1080-wide phone becomes a readable thumbnail.
THUMB_WIDTH = 360

_STYLE = """
body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px} .meta{color:#555;margin-bottom:16px}
.status{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;background:#888}
.status.success{background:#2e7d32}.status.error,.status.failed{background:#c62828}
.status.needs_human{background:#ef6c00}.status.loop{background:#6a1b9a}
.step{display:flex;gap:16px;background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px;margin:12px 0}
.shot{position:relative;flex:none}.shot img{display:block;border:1px solid #ccc}
.shot svg{position:absolute;left:0;top:0}
button.enlarge{display:block;flex:none;padding:0;border:0;background:none;cursor:zoom-in}
dialog.full{padding:0;border:0;max-width:100vw;max-height:100vh;overflow:auto;cursor:zoom-out}
dialog.full::backdrop{background:rgba(0,0,0,.7)} .full .shot img{border:0;max-width:none}
.body{flex:1;min-width:0}.body pre{white-space:pre-wrap;word-break:break-word;background:#f3f3f3;padding:8px}
.outcome{font-weight:600} table.t{border-collapse:collapse} table.t td{padding:1px 8px 1px 0;color:#555}
.not-done{color:#ef6c00;font-weight:600}
"""

# Steps whose touch the guard or the person stopped: the report marks where it would have landed.
_NOT_TOUCHED = (Outcome.DENIED, Outcome.BLOCKED)


def _thumbnail(path: Path) -> tuple[str, float, tuple[int, int]] | None:
    """The screen as an embedded JPEG ``THUMB_WIDTH`` wide, its scale, and the screen's own size."""
    if not path.is_file():
        return None
    with Image.open(path) as img:
        scale = THUMB_WIDTH / img.width
        size = img.size
        thumb = img.convert("RGB").resize((THUMB_WIDTH, max(1, round(img.height * scale))))
    buf = io.BytesIO()
    thumb.save(buf, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), scale, size


def _link(target: Path, base: Path) -> str:
    """A URL for ``target`` that works from a page in ``base`` (relative, so a copied trace
    folder keeps working; absolute where no relative path exists)."""
    try:
        return quote(Path(os.path.relpath(target, base)).as_posix())
    except ValueError:  # another drive
        return target.resolve().as_uri()


def _stopped_points(step: StepRecord) -> list[tuple[int, int]]:
    """Where a touch the guard or the person stopped would have landed (nothing was touched)."""
    if step.pixels or step.outcome not in _NOT_TOUCHED or step.action is None or step.screen_size is None:
        return []
    return pixel_points(step.action, step.screen_size)


def _stopped_mark(points: list[tuple[int, int]], scale: float, width: int, height: int) -> str:
    x, y = points[0][0] * scale, points[0][1] * scale
    return (f'<svg class="not-touched" width="{width}" height="{height}"><g stroke="#ef6c00" stroke-width="3">'
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="14" fill="none" stroke-dasharray="4 3"/>'
            f'<line x1="{x - 9:.0f}" y1="{y - 9:.0f}" x2="{x + 9:.0f}" y2="{y + 9:.0f}"/>'
            f'<line x1="{x - 9:.0f}" y1="{y + 9:.0f}" x2="{x + 9:.0f}" y2="{y - 9:.0f}"/></g>'
            f'<text x="{min(x + 18, width - 70):.0f}" y="{y + 5:.0f}" fill="#ef6c00" font-size="13" '
            f'font-weight="600">not tapped</text></svg>')


def _marks(step: StepRecord, scale: float, width: int, height: int) -> str:
    """The step's touches (or the touch that was stopped) over a screen shown ``width`` by
    ``height`` at ``scale`` of its own pixels."""
    stopped = _stopped_points(step)
    if stopped:
        return _stopped_mark(stopped, scale, width, height)
    if not step.pixels:
        return ""
    pts = [(x * scale, y * scale) for x, y in step.pixels]
    parts = [f'<svg width="{width}" height="{height}"><defs><marker id="a" markerWidth="8" markerHeight="8" '
             'refX="6" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#e53935"/></marker></defs>']
    if len(pts) == 2:
        (x1, y1), (x2, y2) = pts
        parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
                     'stroke="#e53935" stroke-width="3" marker-end="url(#a)"/>')
    for x, y in pts[:1] if len(pts) == 2 else pts:
        parts.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="12" fill="none" stroke="#e53935" stroke-width="3"/>')
    parts.append("</svg>")
    return "".join(parts)


def _human_text(human: Approval | Reply) -> str:
    """The person's answer as a sentence (the trace keeps the typed record)."""
    if isinstance(human, Reply):
        answered = f'answered "{human.answer}"' if human.answer is not None else "got no answer"
        return f'The agent asked "{human.question}" and {answered}.'
    if human.missing == "timed_out":
        return f"Nobody answered in time ({human.note}): no."
    if human.missing == "no_one" or human.by == "none":  # traces before ``missing`` say so with by="none"
        return f"There was nobody to ask ({human.note}): no."
    said = "Approved" if human.approved else "Declined"
    if human.by == "earlier yes":
        return f"{said}: {human.note}."
    detail = f' (typed "{human.note}")' if human.by == "terminal" and human.note else (
        f" ({human.note})" if human.note else "")
    return f"{said} on the {human.by}{detail}."


def _shot_html(trace: Trace, step: StepRecord, base: Path) -> str:
    """The step's screen as a thumbnail that opens, on a click, at its natural size."""
    if not step.screenshot:
        return ""
    path = trace.path / step.screenshot
    thumb = _thumbnail(path)
    if not thumb:
        return ""
    src, scale, (width, height) = thumb
    # Touches are in the screenshot's pixels: the full view shows it 1:1, so its marks need no scaling.
    small = (f'<div class="shot"><img src="{src}" width="{THUMB_WIDTH}" alt="step {step.step}">'
             f"{_marks(step, scale, THUMB_WIDTH, round(height * scale))}</div>")
    full = (f'<div class="shot"><img src="{_link(path, base)}" width="{width}" height="{height}" loading="lazy" '
            f'alt="step {step.step}, full size">{_marks(step, 1.0, width, height)}</div>')
    return (f'<button type="button" class="enlarge" title="Show at full size" '
            f'onclick="this.nextElementSibling.showModal()">{small}</button>'
            f'<dialog class="full" onclick="this.close()">{full}</dialog>')


def _step_html(trace: Trace, step: StepRecord, base: Path) -> str:
    step = clip_record(step)  # traces written before replies were clipped may hold megabytes
    shot_html = _shot_html(trace, step, base)
    timings = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.1f} ms</td></tr>" for k, v in step.timings.items()
                      if k not in ("total", "human"))
    if "total" in step.timings:
        timings += f"<tr><td>total, the agent's own</td><td>{step.own_ms:.1f} ms</td></tr>"
    if step.waited_ms:
        timings += f"<tr class='waited'><td>waiting for the person</td><td>{step.waited_ms:.1f} ms</td></tr>"
    rows = [
        f'<div class="outcome">Step {step.step}: {html.escape(step.outcome.value)}</div>',
        f"<p><b>Action</b> <code>{html.escape(step.answer or '-')}</code></p>",
    ]
    if step.pixels:
        rows.append(f"<p>pixels {html.escape(str(step.pixels))}</p>")
    elif _stopped_points(step):
        why = "the guard blocked it" if step.outcome is Outcome.BLOCKED else "it needed a yes and got none"
        rows.append(f"<p class='not-done'>Not tapped: {why} (marked on the screen)</p>")
    if step.thought:
        rows.append(f"<p><b>Thought</b></p><pre>{html.escape(step.thought)}</pre>")
    if step.guard and step.guard.verdict is not Verdict.ALLOW:
        rows.append(f"<p><b>Guard</b> {html.escape(step.guard.verdict.value)}: {html.escape(step.guard.reason)}</p>")
    if step.guard and step.guard.recheck:
        rows.append(f"<p><b>Guard, just before acting</b> {html.escape(step.guard.recheck.verdict.value)}: "
                    f"{html.escape(step.guard.recheck.reason)}</p>")
    if step.human:
        rows.append(f"<p><b>Human</b> {html.escape(_human_text(step.human))}</p>")
    for event in step.network:
        answer = f"; {_human_text(event.human)}" if event.human else ""
        rows.append(f"<p><b>Network</b> {html.escape(event.method)} {html.escape(event.url)}: "
                    f"{html.escape(event.decision.verdict.value)}, {html.escape(event.decision.reason)}"
                    f"{html.escape(answer)}</p>")
    if step.loop:
        rows.append(f"<p><b>Loop</b> {html.escape(step.loop)}</p>")
    if step.error:
        rows.append(f"<p><b>Error</b> {html.escape(step.error)}</p><pre>{html.escape(step.raw)}</pre>")
    rows.append(f'<table class="t">{timings}</table>')
    return f'<div class="step">{shot_html}<div class="body">{"".join(rows)}</div></div>'


def render_html(trace: Trace, base: Path | None = None) -> str:
    """The report page; ``base`` is the folder it will be read from (links to the full-size
    screens are relative to it) [default: the trace's own folder]."""
    base = trace.path if base is None else base
    status = trace.result.status.value if trace.result else "incomplete"
    message = trace.result.message if trace.result else "the run did not finish (crash or kill); steps up to the last are kept"
    steps = "\n".join(_step_html(trace, s, base) for s in trace.steps)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>autoagent: {html.escape(trace.meta.task)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(trace.meta.task)}</h1>"
        f'<div class="meta"><span class="status {html.escape(status)}">{html.escape(status)}</span> '
        f"{html.escape(message)}<br>device {html.escape(trace.meta.device)} · policy {html.escape(trace.meta.policy)}"
        f" · {len(trace.steps)} steps</div>{steps}</body></html>"
    )


def write_report(trace: Trace, out: Path | None = None) -> Path:
    # A run killed mid-write left a temporary file behind; the report is where the trace is tidied.
    remove_stale_temp(trace.path)
    out = out or trace.path / "report.html"
    out.write_text(render_html(trace, out.parent), encoding="utf-8")
    return out
