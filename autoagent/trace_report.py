"""Render a trace as one self-contained HTML page: screenshots with tap marks, thoughts, timings."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from PIL import Image

from autoagent.safety.types import Approval, Verdict
from autoagent.trace import Reply, StepRecord, Trace, clip_record, remove_stale_temp

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
.body{flex:1;min-width:0}.body pre{white-space:pre-wrap;word-break:break-word;background:#f3f3f3;padding:8px}
.outcome{font-weight:600} table.t{border-collapse:collapse} table.t td{padding:1px 8px 1px 0;color:#555}
"""


def _thumbnail(path: Path) -> tuple[str, float] | None:
    if not path.is_file():
        return None
    with Image.open(path) as img:
        scale = THUMB_WIDTH / img.width
        thumb = img.convert("RGB").resize((THUMB_WIDTH, max(1, round(img.height * scale))))
    buf = io.BytesIO()
    thumb.save(buf, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), scale


def _marks(step: StepRecord, scale: float, height: int) -> str:
    if not step.pixels:
        return ""
    pts = [(x * scale, y * scale) for x, y in step.pixels]
    parts = [f'<svg width="{THUMB_WIDTH}" height="{height}"><defs><marker id="a" markerWidth="8" markerHeight="8" '
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
    if isinstance(human, Reply):
        return f"asked {human.question!r}; " + (f"answered {human.answer!r}" if human.answer is not None else "no answer")
    return f"{'approved' if human.approved else 'refused'} by {human.by}" + (f": {human.note}" if human.note else "")


def _step_html(trace: Trace, step: StepRecord) -> str:
    step = clip_record(step)  # traces written before replies were clipped may hold megabytes
    shot_html = ""
    if step.screenshot:
        thumb = _thumbnail(trace.path / step.screenshot)
        if thumb:
            src, scale = thumb
            height = round((step.screen_size or (THUMB_WIDTH / scale, 0))[1] * scale)
            shot_html = (f'<div class="shot"><img src="{src}" width="{THUMB_WIDTH}" alt="step {step.step}">'
                         f"{_marks(step, scale, height)}</div>")
    timings = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.1f} ms</td></tr>" for k, v in step.timings.items())
    rows = [
        f'<div class="outcome">Step {step.step}: {html.escape(step.outcome.value)}</div>',
        f"<p><b>Action</b> <code>{html.escape(step.answer or '-')}</code></p>",
    ]
    if step.pixels:
        rows.append(f"<p>pixels {html.escape(str(step.pixels))}</p>")
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


def render_html(trace: Trace) -> str:
    status = trace.result.status.value if trace.result else "incomplete"
    message = trace.result.message if trace.result else "the run did not finish (crash or kill); steps up to the last are kept"
    steps = "\n".join(_step_html(trace, s) for s in trace.steps)
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
    out.write_text(render_html(trace), encoding="utf-8")
    return out
