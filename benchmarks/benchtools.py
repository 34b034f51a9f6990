"""What every benchmark script shares: the machine's name, the median/p90 summary, and recording
the expert's replies for a task so that a run replays them."""

from __future__ import annotations

import platform
import statistics
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summarize_ms(samples_ms: list[float], digits: int = 2) -> dict[str, float]:
    """Median and 90th percentile of samples in milliseconds (zeros for no samples)."""
    if not samples_ms:
        return {"median_ms": 0.0, "p90_ms": 0.0, "n": 0}
    ordered = sorted(samples_ms)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered), digits), "p90_ms": round(p90, digits),
            "n": len(ordered)}


def record_expert(task, root: Path) -> Path:  # task: emulator.tasks.Task
    """The emulator's expert solves ``task`` once (approving every question); returns its trace."""
    from autoagent.agent import Agent
    from autoagent.safety import CallbackHuman
    from emulator.expert import ExpertPolicy

    phone = task.make_phone()
    result = Agent(device=phone, policy=ExpertPolicy(phone, task), human=CallbackHuman(on_confirm=lambda r: True),
                   trace_root=root, max_steps=60).run(task.goal)
    if not result.ok or not task.is_successful(phone):
        raise SystemExit(f"the expert could not record {task.id}: {result.status} {result.message}")
    return result.trace_dir
