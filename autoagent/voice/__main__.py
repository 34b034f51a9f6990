"""``python -m autoagent.voice prepare`` loads and checks the speech model ahead of time (install
scripts); ``python -m autoagent.voice FILE.wav`` prints a transcript."""

from __future__ import annotations

import sys
import time

from autoagent.voice.audio import AudioError
from autoagent.voice.engine import SpeechError, recognizer


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    try:
        if args[0] == "prepare":
            started = time.perf_counter()
            loaded = recognizer()
            print(f"speech model ready: {loaded.model} ({time.perf_counter() - started:.1f}s to load)")
            return 0
        from autoagent.voice.command import transcribe_file

        for path in args:
            print(transcribe_file(path).text)
        return 0
    except (AudioError, SpeechError) as err:
        print(f"autoagent.voice: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
