"""Error rates of spoken commands: Whisper base (today's recogniser) against PocketSphinx with the
domain language model (the recogniser of an earlier commit, run from that commit's tree), in one run.

Speech: the 40 English and 40 Mandarin shopping, booking and settings commands of
benchmarks/voice_commands.py, synthesised with espeak-ng (en-us; cmn-latn-pinyin) at two speeds,
each clean and with pink noise mixed in by sox. English is scored by word error rate after
normalising ("two" == "2"), Mandarin by character error rate (both the mean over clips). Whisper is given each clip's
language; its own language identification is scored separately ("lang id": the share of clips
it would have sent to the right language rather than to the other or refused).

Results go to a JSON-lines file as they come (``--out``, default benchmarks/results/voice.jsonl), so an interrupted run resumes;
``--table-only`` prints the table from that file.

    nice -n 19 python benchmarks/bench_voice.py [--baseline e4f0420] [--out benchmarks/results/voice.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autoagent.voice import UnsupportedLanguage, load_wav  # noqa: E402
from autoagent.voice.engine import Recognizer, choose_language  # noqa: E402
from autoagent.voice.text import cer, wer  # noqa: E402
from benchmarks.voice_commands import ENGLISH, MANDARIN  # noqa: E402

SPEEDS = (140, 200)  # espeak-ng words per minute (its default is 175)
NOISE_VOL = 0.15  # pink noise amplitude relative to full scale, before sox -m halves both inputs
BASELINE_REF = "e4f0420"  # the last commit whose recogniser was PocketSphinx
BASELINE = f"pocketsphinx ({BASELINE_REF})"
NEW = "whisper-base"

# Runs the old recogniser from an exported tree: one clip path a line in, one JSON line out.
_CHILD = """
import json, sys
from autoagent.voice import load_wav
from autoagent.voice.engine import Recognizer
r = Recognizer("domain")
print("ready", flush=True)
for line in sys.stdin:
    h = r.transcribe(load_wav(line.strip()))
    print(json.dumps({"words": h.words, "decode_s": h.decode_s}), flush=True)
"""


def clips() -> list[tuple[str, int, str, str, int, bool]]:
    """(language, index, reference, spoken text, speed, noisy), interleaved so that a partial run
    covers both languages, every condition, and shopping, booking and settings commands evenly."""
    out = []
    count = max(len(ENGLISH), len(MANDARIN))
    stride = next(k for k in (17, 13, 11, 7, 3, 1) if np.gcd(k, count) == 1)  # visits every index once
    for i in sorted(range(count), key=lambda j: (j * stride) % count):
        for speed in SPEEDS:
            for noisy in (False, True):
                if i < len(ENGLISH):
                    out.append(("en", i, ENGLISH[i], ENGLISH[i], speed, noisy))
                if i < len(MANDARIN):
                    out.append(("zh", i, MANDARIN[i][0], MANDARIN[i][1], speed, noisy))
    return out


def synthesise(folder: Path, lang: str, i: int, spoken: str, speed: int, noisy: bool) -> tuple[Path, float | None]:
    clean = folder / f"{lang}-{i}-{speed}.wav"
    if not clean.exists():
        voice = "en-us" if lang == "en" else "cmn-latn-pinyin"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(clean), spoken], check=True,
                       capture_output=True)
    if not noisy:
        return clean, None
    noise, mixed = folder / f"noise-{lang}-{i}-{speed}.wav", folder / f"{lang}-{i}-{speed}-noisy.wav"
    seconds = subprocess.run(["soxi", "-D", str(clean)], check=True, capture_output=True, text=True).stdout.strip()
    rate = subprocess.run(["soxi", "-r", str(clean)], check=True, capture_output=True, text=True).stdout.strip()
    # -R: repeatable noise, so every run and both recognisers hear the same clip.
    subprocess.run(["sox", "-R", "-n", "-r", rate, "-c", "1", "-b", "16", str(noise), "synth", seconds, "pinknoise",
                    "vol", str(NOISE_VOL)], check=True, capture_output=True)
    subprocess.run(["sox", "-m", str(clean), str(noise), str(mixed)], check=True, capture_output=True)
    speech, hiss = load_wav(clean).astype(float), load_wav(noise).astype(float)
    snr = 10 * np.log10(np.mean(speech ** 2) / max(np.mean(hiss ** 2), 1e-9))
    return mixed, round(float(snr), 1)


class Baseline:
    """The old recogniser in a child process, from ``git archive REF`` (its own code and model)."""

    def __init__(self, ref: str, workdir: Path) -> None:
        tree = workdir / "baseline"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref, "autoagent", "emulator"],
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tree)
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env, cwd=str(tree))
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"bench_voice: the recogniser of {ref} did not start (is pocketsphinx installed?)")

    def transcribe(self, path: Path) -> dict:
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())


def score(lang: str, reference: str, heard: str) -> float:
    return wer(reference, heard) if lang == "en" else cer(reference, heard)


def run(args: argparse.Namespace) -> None:
    done = {(r["lang"], r["i"], r["speed"], r["noisy"]) for r in read(args.out)}
    todo = [c for c in clips() if (c[0], c[1], c[4], c[5]) not in done]
    if not todo:
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, open(args.out, "a", encoding="utf-8") as out:
        folder = Path(tmp)
        baseline = Baseline(args.baseline, folder) if args.baseline else None
        whisper = Recognizer(NEW)
        for n, (lang, i, reference, spoken, speed, noisy) in enumerate(todo, 1):
            path, snr = synthesise(folder, lang, i, spoken, speed, noisy)
            samples = load_wav(path)
            row = {"lang": lang, "i": i, "speed": speed, "noisy": noisy, "snr_db": snr, "reference": reference,
                   "audio_s": round(len(samples) / 16000, 2)}
            started = time.perf_counter()
            try:
                row["lang_id"] = choose_language(whisper.detect(samples.astype(np.float32) / 32768.0))
            except UnsupportedLanguage:
                row["lang_id"] = "refused"
            row["lang_id_s"] = round(time.perf_counter() - started, 2)
            heard = whisper.transcribe(samples, language=lang)
            row[NEW] = {"heard": heard.words, "error": round(score(lang, reference, heard.words), 3),
                        "decode_s": heard.decode_s}
            if baseline:
                old = baseline.transcribe(path)
                row[BASELINE.split()[0]] = {"heard": old["words"], "error": round(score(lang, reference, old["words"]), 3),
                                            "decode_s": old["decode_s"]}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            print(f"[{n}/{len(todo)}] {lang} {speed} {'noisy' if noisy else 'clean'}: {heard.words!r}", file=sys.stderr)


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def table(rows: list[dict], baseline_ref: str) -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [f"device: CPU only, {cpu}, {os.cpu_count()} cores; date: {when}; espeak-ng speech, "
             f"speeds {'/'.join(map(str, SPEEDS))} wpm, pink noise by sox",
             "", "| language | metric | condition | clips | PocketSphinx, domain LM (" + baseline_ref + ") | Whisper base | "
             "Whisper lang id right | Whisper decode s/clip |", "|---|---|---|---|---|---|---|---|"]
    for lang, metric in (("en", "WER"), ("zh", "CER")):
        for speed in (*SPEEDS, None):
            for noisy in (False, True, None):
                if (speed is None) != (noisy is None):
                    continue
                picked = [r for r in rows if r["lang"] == lang and (speed is None or r["speed"] == speed)
                          and (noisy is None or r["noisy"] == noisy)]
                if not picked:
                    continue
                condition = "all" if speed is None else f"{speed} wpm, {'noisy' if noisy else 'clean'}"
                if noisy:
                    snrs = [r["snr_db"] for r in picked if r["snr_db"] is not None]
                    condition += f" (SNR {np.mean(snrs):.0f} dB)"
                old = [r["pocketsphinx"]["error"] for r in picked if "pocketsphinx" in r]
                new = [r[NEW]["error"] for r in picked]
                right = sum(r["lang_id"] == lang for r in picked)
                lines.append(f"| {'English' if lang == 'en' else 'Mandarin'} | {metric} | {condition} | {len(picked)} | "
                             f"{f'{np.mean(old):.1%}' if old else '-'} | {np.mean(new):.1%} | "
                             f"{right}/{len(picked)} | {np.mean([r[NEW]['decode_s'] for r in picked]):.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=BASELINE_REF, help="git ref of the PocketSphinx recogniser ('' to skip)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/voice.jsonl")
    parser.add_argument("--table-only", action="store_true", help="print the table of the results so far")
    args = parser.parse_args()
    if not args.table_only:
        run(args)
    rows = read(args.out)
    if not rows:
        print("bench_voice: no results yet", file=sys.stderr)
        return 1
    print(table(rows, args.baseline or "not run"))
    print(f"{len(rows)} of {len(clips())} clips; python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
