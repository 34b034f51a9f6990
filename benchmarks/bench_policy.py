"""Policy step costs: screenshot encoding, the local engine on a tiny GLM-4.1V, and the
OpenAI engine's own overhead against a loopback server that answers instantly.

    python benchmarks/bench_policy.py [--steps 5] [--json benchmarks/results/policy.json]

The tiny model's numbers measure the engine's plumbing (prompt, vision preprocessing,
prefill, greedy decode with the stop check), not a real model's speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, ImageDraw

from autoagent.perception.observation import Observation
from autoagent.policy.base import StepInput, Turn
from autoagent.policy.images import DEFAULT_MAX_PIXELS, encode_image, fit_image

REPLY = '<think>Tap the Wi-Fi row.</think><answer>do(action="Tap", element=[500,300])</answer>'


def phone_screen(width: int = 1080, height: int = 2400) -> Image.Image:
    """Something like a settings list: flat bars, text, an icon per row."""
    image = Image.new("RGB", (width, height), (248, 248, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 90], fill=(30, 30, 30))
    for row in range(22):
        top = 140 + row * 100
        draw.ellipse([40, top + 20, 100, top + 80], fill=(40 + row * 9 % 200, 120, 220 - row * 7 % 200))
        draw.text((130, top + 30), f"Setting number {row}  -  a longer description of it", fill=(20, 20, 20))
        draw.line([130, top + 98, width, top + 98], fill=(220, 220, 220), width=2)
    return image


def step_input(history: int = 3) -> StepInput:
    turns = tuple(Turn(thought=f"step {i}", answer='do(action="Swipe", start=[500,800], end=[500,200])')
                  for i in range(history))
    return StepInput(task="Turn on Wi-Fi", step=history + 1, history=turns,
                     observation=Observation(phone_screen(), app="com.android.settings"))


def ms(samples: list[float]) -> float:
    return round(statistics.median(samples), 2)


def bench_encoding(repeats: int) -> dict:
    screen = phone_screen()
    started = time.perf_counter()
    fitted = fit_image(screen, DEFAULT_MAX_PIXELS)
    fit_ms = (time.perf_counter() - started) * 1000
    out: dict = {"screen": list(screen.size), "fitted": list(fitted.size), "fit_ms": round(fit_ms, 2)}
    for fmt in ("jpeg", "png"):
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            url = encode_image(fitted, fmt)
            times.append((time.perf_counter() - t) * 1000)
        out[fmt] = {"encode_ms": ms(times), "kib": round(len(url) / 1024, 1)}
    return out


def bench_local(steps: int, max_new_tokens: int) -> dict:
    import torch

    from autoagent.policy.local_engine import LocalGLMPolicy
    from autoagent.policy.tiny import build_tiny_glm

    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        build_tiny_glm(folder)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        engine = LocalGLMPolicy(folder, max_new_tokens=max_new_tokens)
        load_s = time.perf_counter() - t
        step = step_input()
        rows = []
        for _ in range(steps):
            t = time.perf_counter()
            inputs = engine.inputs_for(step)
            prepare = (time.perf_counter() - t) * 1000
            _, timings = engine.generate(inputs)
            rows.append({**timings, "prepare": prepare})
    return {
        "threads": torch.get_num_threads(), "build_s": round(build_s, 2), "load_s": round(load_s, 2),
        "prompt_tokens": int(rows[0]["prompt_tokens"]), "new_tokens": int(rows[0]["new_tokens"]),
        "prepare_ms": ms([r["prepare"] for r in rows]), "prefill_ms": ms([r["ttft"] for r in rows]),
        "total_ms": ms([r["model"] + r["prepare"] for r in rows]),
        "decode_tok_s": round(statistics.median(r["decode_tok_s"] for r in rows), 1),
        "prefill_tok_s": round(statistics.median(r["prompt_tokens"] / (r["ttft"] / 1000) for r in rows), 1),
    }


class _Instant(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for i in range(0, len(REPLY), 8):
            event = {"choices": [{"index": 0, "delta": {"content": REPLY[i:i + 8]}}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        # The last chunk says why the reply stopped; without it the engine takes the reply as cut off.
        end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())


def bench_openai(steps: int) -> dict:
    from autoagent.policy.openai_engine import OpenAIPolicy

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Instant)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        out = {}
        for fmt in ("jpeg", "png"):
            engine = OpenAIPolicy(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", model="bench",
                                  image_format=fmt)
            step = step_input()
            rows = []
            for _ in range(steps):
                t = time.perf_counter()
                decision = engine.decide(step)
                rows.append({**decision.timings, "total": (time.perf_counter() - t) * 1000})
            out[fmt] = {"prepare_ms": ms([r["prepare"] for r in rows]), "http_ms": ms([r["model"] for r in rows]),
                        "ttft_ms": ms([r["ttft"] for r in rows]), "total_ms": ms([r["total"] for r in rows])}
        return out
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/policy.json"))
    args = parser.parse_args(argv)

    env = {"date": datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
           "machine": platform.machine(), "cpus": os.cpu_count(), "platform": platform.platform()}
    try:
        import torch

        env["torch"] = torch.__version__
        env["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    except ImportError:
        env["device"] = "cpu"
    results = {"env": env, "encoding": bench_encoding(args.steps), "openai": bench_openai(args.steps),
               "local_tiny": bench_local(args.steps, args.max_new_tokens)}

    enc, oa, lt = results["encoding"], results["openai"], results["local_tiny"]
    print(f"policy benchmark  {env['date']}  device={env['device']}  cpus={env['cpus']}  python {env['python']}")
    print(f"\nscreenshot {enc['screen'][0]}x{enc['screen'][1]} -> {enc['fitted'][0]}x{enc['fitted'][1]} "
          f"(max_pixels {DEFAULT_MAX_PIXELS:,}), fit {enc['fit_ms']} ms")
    print(f"{'format':<8}{'encode ms':>12}{'data URL KiB':>15}")
    for fmt in ("jpeg", "png"):
        print(f"{fmt:<8}{enc[fmt]['encode_ms']:>12}{enc[fmt]['kib']:>15}")
    print("\nOpenAI engine overhead (loopback server, instant reply), median per step")
    print(f"{'format':<8}{'prepare ms':>12}{'http ms':>10}{'ttft ms':>10}{'total ms':>10}")
    for fmt in ("jpeg", "png"):
        row = oa[fmt]
        print(f"{fmt:<8}{row['prepare_ms']:>12}{row['http_ms']:>10}{row['ttft_ms']:>10}{row['total_ms']:>10}")
    print(f"\nlocal engine, tiny GLM-4.1V on {env['device']} ({lt['threads']} threads), median per step")
    print(f"{'prompt tok':>11}{'new tok':>9}{'prepare ms':>12}{'prefill ms':>12}{'prefill tok/s':>15}"
          f"{'decode tok/s':>14}{'total ms':>10}")
    print(f"{lt['prompt_tokens']:>11}{lt['new_tokens']:>9}{lt['prepare_ms']:>12}{lt['prefill_ms']:>12}"
          f"{lt['prefill_tok_s']:>15}{lt['decode_tok_s']:>14}{lt['total_ms']:>10}")
    print(f"(tiny checkpoint built in {lt['build_s']} s, loaded in {lt['load_s']} s)")
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
