"""Record from the default microphone: ALSA's ``arecord`` if installed, else PortAudio through
the ``sounddevice`` package. With neither, or no capture device, :class:`MicrophoneUnavailable`
says what is missing."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np

from autoagent.voice.audio import RATE, AudioError, load_wav

MAX_SECONDS = 60.0


class MicrophoneUnavailable(RuntimeError):
    """No way to record here: no recorder installed, or no capture device."""


def record(seconds: float, *, arecord: str | None = "arecord") -> np.ndarray:
    """Record ``seconds`` of 16 kHz mono int16 audio from the default microphone."""
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"record between 0 and {MAX_SECONDS:g} seconds, not {seconds:g}")
    problems: list[str] = []
    tool = shutil.which(arecord) if arecord else None
    if tool:
        try:
            return _arecord(tool, seconds)
        except MicrophoneUnavailable as err:
            problems.append(str(err))
    else:
        problems.append("arecord (package alsa-utils) is not installed")
    try:
        return _sounddevice(seconds)
    except MicrophoneUnavailable as err:
        problems.append(str(err))
    raise MicrophoneUnavailable("no microphone to listen to: " + "; ".join(problems)
                                + ". Record a WAV file elsewhere and pass it with --voice FILE.wav instead.")


def _arecord(tool: str, seconds: float) -> np.ndarray:
    # arecord's -d takes whole seconds; the clip is trimmed afterwards.
    whole = max(1, int(np.ceil(seconds)))
    try:
        done = subprocess.run([tool, "-q", "-t", "wav", "-f", "S16_LE", "-c", "1", "-r", str(RATE), "-d", str(whole),
                               "-"], capture_output=True, timeout=whole + 10)
    except subprocess.TimeoutExpired:
        raise MicrophoneUnavailable("arecord did not finish recording") from None
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise MicrophoneUnavailable(f"arecord found no capture device ({reason[-1] if reason else 'no audio'})")
    try:
        samples = load_wav(done.stdout)
    except AudioError as err:
        raise MicrophoneUnavailable(f"arecord gave unusable audio: {err}") from None
    return samples[: int(seconds * RATE)]


def _sounddevice(seconds: float) -> np.ndarray:
    try:
        import sounddevice
    except ImportError:
        raise MicrophoneUnavailable("the sounddevice package is not installed") from None
    except OSError as err:  # the package is there but PortAudio (libportaudio2) is not
        raise MicrophoneUnavailable(f"sounddevice cannot start: {err}") from None
    try:
        audio = sounddevice.rec(int(seconds * RATE), samplerate=RATE, channels=1, dtype="int16")
        sounddevice.wait()
    except Exception as err:  # PortAudioError and friends: no input device, busy device
        raise MicrophoneUnavailable(f"sounddevice could not record: {err}") from None
    return np.asarray(audio, dtype=np.int16).reshape(-1)
