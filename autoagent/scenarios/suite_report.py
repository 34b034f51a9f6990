"""HTML report of a scenario run: an index page and one page per scenario (its trace report)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from autoagent.scenarios.runner import ScenarioResult
from autoagent.trace import TraceError, read_trace
from autoagent.trace_report import render_html

_INDEX_STYLE = """
body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:24px;color:#222;background:#fafafa}
table{border-collapse:collapse;background:#fff} td,th{border:1px solid #ddd;padding:6px 10px;text-align:left}
.passed{color:#2e7d32;font-weight:600}.failed{color:#c62828;font-weight:600} .why{color:#555;font-size:90%}
"""
_BANNER_STYLE = ("style='border:2px solid {c};border-radius:8px;padding:12px;margin-bottom:16px;background:#fff'")


def _slug(scenario_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in scenario_id) or "scenario"


def _picture(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        return ""
    data = base64.b64encode(p.read_bytes()).decode("ascii")
    return f"<p><b>{html.escape(p.name)}</b><br><img src='data:image/png;base64,{data}' style='max-width:100%'></p>"


def _banner(result: ScenarioResult) -> str:
    colour = "#2e7d32" if result.passed else "#c62828"
    verdict = "passed" if result.passed else "failed"
    parts = [f"<div class='scenario-result' {_BANNER_STYLE.format(c=colour)}>",
             f"<p><a href='index.html'>&larr; all scenarios</a></p>",
             f"<h2>Scenario {html.escape(result.id)}: <span class='{verdict}'>{verdict}</span></h2>",
             f"<p>{html.escape(result.file)} · {html.escape(result.target)} · {result.steps} steps · "
             f"{result.seconds:.2f} s · agent status {html.escape(result.status.value)}</p>"]
    if result.failures:
        parts.append("<p><b>Why it failed</b></p><ul class='why'>"
                     + "".join(f"<li>{html.escape(f)}</li>" for f in result.failures) + "</ul>")
    if result.log:
        parts.append("<details><summary>Scenario steps</summary><ol>"
                     + "".join(f"<li>{html.escape(line)}</li>" for line in result.log) + "</ol></details>")
    parts += [_picture(a) for a in result.artifacts]
    parts.append("</div>")
    return "".join(parts)


def scenario_page(result: ScenarioResult, base: Path | None = None) -> str:
    """The scenario's trace report under its verdict; ``base``: the folder the page is written to."""
    banner = _banner(result)
    if result.trace_dir:
        try:
            page = render_html(read_trace(result.trace_dir), base)
            return page.replace("<body>", "<body>" + banner, 1)
        except TraceError:
            pass
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(result.id)}</title></head>"
            f"<body>{banner}<p>No trace was written.</p></body></html>")


def write_report(results: list[ScenarioResult], out_dir: Path) -> Path:
    """Write ``out_dir/index.html`` and one page per scenario; return the index path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in results:
        page = f"{_slug(r.id)}.html"
        (out_dir / page).write_text(scenario_page(r, out_dir), encoding="utf-8")
        verdict = "passed" if r.passed else "failed"
        why = html.escape(r.failures[0]) if r.failures else ""
        rows.append(f"<tr class='scenario {verdict}' data-id='{html.escape(r.id)}'>"
                    f"<td><a href='{page}'>{html.escape(r.id)}</a></td><td class='{verdict}'>{verdict}</td>"
                    f"<td>{r.steps}</td><td>{r.seconds:.2f} s</td><td>{html.escape(r.target)}</td>"
                    f"<td class='why'>{why}</td></tr>")
    passed = sum(r.passed for r in results)
    index = (f"<!doctype html><html><head><meta charset='utf-8'><title>autoagent scenarios</title>"
             f"<style>{_INDEX_STYLE}</style></head><body><h1>Scenarios: {passed}/{len(results)} passed</h1>"
             "<table><thead><tr><th>scenario</th><th>result</th><th>steps</th><th>time</th><th>target</th>"
             f"<th>why</th></tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>")
    index_path = out_dir / "index.html"
    index_path.write_text(index, encoding="utf-8")
    return index_path
