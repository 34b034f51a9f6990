"""What ``autoagent run --voice FILE.wav`` and ``--listen`` call: audio in, a confirmed task out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from autoagent.voice.audio import AudioError, load_wav
from autoagent.voice.engine import Transcript, recognizer
from autoagent.voice.microphone import record

DEFAULT_LISTEN_SECONDS = 6.0


def transcribe_file(path: str | Path, model: str | None = None) -> Transcript:
    """Transcribe a WAV file. Raises AudioError (bad file) or SpeechError (engine/model)."""
    samples = load_wav(path)
    return recognizer(model).transcribe(samples, source=str(path))


def transcribe_bytes(data: bytes, model: str | None = None, source: str = "upload") -> Transcript:
    return recognizer(model).transcribe(load_wav(data), source=source)


def listen(seconds: float = DEFAULT_LISTEN_SECONDS, model: str | None = None,
           stderr: TextIO = sys.stderr) -> Transcript:
    """Record from the microphone, then transcribe. Raises MicrophoneUnavailable with the reason."""
    recognizer(model)  # load first, so the recording starts when the prompt says so
    stderr.write(f"listening for {seconds:g} s: say the task now\n")
    stderr.flush()
    return recognizer(model).transcribe(record(seconds), source="microphone")


def confirm_transcript(text: str, stdin: TextIO = sys.stdin, stderr: TextIO = sys.stderr) -> str | None:
    """Show what was heard and ask before acting on it.

    Enter or "y" accepts; any other line is taken as the corrected task; "n", "no" or end of
    input (no one at the terminal) cancels with None. An empty transcript is never accepted.
    """
    if text.strip():
        stderr.write(f'heard: "{text}"\nRun this task? [Y/n, or type the corrected task] ')
    else:
        stderr.write("heard nothing that could be understood.\nType the task, or press Enter to cancel: ")
    stderr.flush()
    line = stdin.readline()
    if not line:
        return None
    reply = line.strip()
    if not reply:
        return text.strip() or None
    if reply.lower() in ("y", "yes"):
        return text.strip() or None
    if reply.lower() in ("n", "no"):
        return None
    return reply


__all__ = ["AudioError", "DEFAULT_LISTEN_SECONDS", "Transcript", "confirm_transcript", "listen", "transcribe_bytes",
           "transcribe_file"]
