"""Word error rate of spoken tasks: the domain language model vs. PocketSphinx's generic one.

Speech is synthesised with espeak-ng (en-us) from two sets of commands:

* ``phrased``: short shopping/booking commands written for this benchmark;
* ``tasks``:   the English goals of the emulator's shop, travel and restaurant tasks, verbatim
               (long sentences with dates and names, phrased independently of the model's corpus).

Both sides are normalised before scoring ("two" == "2", case and punctuation ignored).
Prints a table and writes JSON (``--json PATH``, default: benchmarks/results/voice.json).

    python benchmarks/bench_voice.py [--models domain generic]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autoagent.voice import load_wav  # noqa: E402
from autoagent.voice.engine import Recognizer  # noqa: E402
from autoagent.voice.text import corpus_wer, wer  # noqa: E402
from emulator.tasks import TASKS  # noqa: E402

PHRASED = [
    "Buy a white T-shirt in size M",
    "Buy two grey hoodies in size L",
    "Buy two blue phone cases",
    "Buy the black wireless earbuds",
    "Buy running shoes in size forty two",
    "Add three coffee mugs to the cart",
    "Search for yoga mats",
    "Book a hotel in Shanghai for two adults",
    "Book a room in Beijing for one adult",
    "Book a deluxe king room in Hangzhou",
    "Reserve a table for four at Sichuan Kitchen tomorrow at seven pm",
    "Reserve a table for six at Sakura Sushi at eight pm",
    "Order two portions of pork dumplings from Golden Dumpling House",
    "Order a margherita pizza from Pizza House and pay",
]


def task_goals() -> list[str]:
    apps = ("com.autoagent.shop", "com.autoagent.travel", "com.autoagent.restaurant")
    # "19:00" is written, not said: speak it as a person would, and score against that.
    return [t.goal.replace("19:00", "seven pm") for t in TASKS if t.app in apps]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["domain", "generic"])
    parser.add_argument("--voice", default="en-us")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/voice.json"))
    args = parser.parse_args()

    sets = {"phrased": PHRASED, "tasks": task_goals()}
    clips: dict[str, list[tuple[str, object]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, sentences in sets.items():
            clips[name] = []
            for i, text in enumerate(sentences):
                path = Path(tmp) / f"{name}-{i}.wav"
                subprocess.run(["espeak-ng", "-v", args.voice, "-w", str(path), text], check=True, capture_output=True)
                clips[name].append((text, load_wav(path)))

    results: dict[str, dict] = {}
    for model in args.models:
        started = time.perf_counter()
        recognizer = Recognizer(model)
        load_s = time.perf_counter() - started
        per_set = {}
        for name, items in clips.items():
            rows, audio_s, decode_s = [], 0.0, 0.0
            for text, samples in items:
                heard = recognizer.transcribe(samples)
                audio_s += heard.audio_s
                decode_s += heard.decode_s
                rows.append({"reference": text, "heard": heard.words, "text": heard.text,
                             "wer": round(wer(text, heard.words), 3)})
            per_set[name] = {
                "wer": round(corpus_wer((r["reference"], r["heard"]) for r in rows), 4),
                "exact": sum(r["wer"] == 0 for r in rows), "utterances": len(rows),
                "audio_s": round(audio_s, 2), "decode_s": round(decode_s, 2),
                "real_time_factor": round(decode_s / audio_s, 3) if audio_s else None, "rows": rows}
        results[model] = {"load_s": round(load_s, 2), "sets": per_set}

    print(f"{'model':10} {'set':8} {'WER':>7} {'exact':>7} {'RTF':>6}  load")
    for model, res in results.items():
        for name, s in res["sets"].items():
            print(f"{model:10} {name:8} {s['wer']:7.1%} {s['exact']:>3}/{s['utterances']:<3} "
                  f"{s['real_time_factor']:6.2f}  {res['load_s']:.1f}s")
    report = {"benchmark": "voice", "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
              "voice": args.voice, "results": results}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
