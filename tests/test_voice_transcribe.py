"""Speech to task: real espeak-ng speech, real PocketSphinx decoding, no mocks."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pocketsphinx")
if not shutil.which("espeak-ng"):
    pytest.skip("espeak-ng is needed to synthesise test speech", allow_module_level=True)

from autoagent.voice import (  # noqa: E402
    AudioError, MicrophoneUnavailable, SpeechError, confirm_transcript, corpus_wer, load_wav, normalise,
    transcribe_file,
)
from autoagent.voice.engine import Recognizer, build_domain_model  # noqa: E402
from autoagent.voice.microphone import record  # noqa: E402

# Spoken the way a user would say them; compared after normalising ("two" == "2").
COMMANDS = [
    "Buy a white T-shirt in size M",
    "Buy two blue phone cases",
    "Add three coffee mugs to the cart",
    "Book a hotel in Shanghai for two adults",
    "Book a room in Beijing for one adult",
    "Order two portions of pork dumplings from Golden Dumpling House",
    "Reserve a table for six at Sakura Sushi at eight pm",
]


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory):
    # A fresh model cache: the build from the emulator's vocabulary is part of what is tested.
    mp = pytest.MonkeyPatch()
    mp.setenv("AUTOAGENT_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


def speak(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True, capture_output=True)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("speech")
    return {text: speak(text, folder / f"{i}.wav") for i, text in enumerate(COMMANDS)}


@pytest.mark.parametrize("command", COMMANDS)
def test_spoken_command_is_transcribed(clips, command):
    heard = transcribe_file(clips[command])
    assert heard.model == "domain"
    assert normalise(heard.text) == normalise(command), heard.words
    assert heard.audio_s > 1.0 and heard.source.endswith(".wav")


def test_transcript_reads_as_a_task(clips):
    heard = transcribe_file(clips["Book a hotel in Shanghai for two adults"])
    assert heard.text == "Book a hotel in Shanghai for 2 adults"
    assert heard.words == "book a hotel in shanghai for two adults"


def test_domain_model_beats_the_generic_one(clips):
    picked = COMMANDS[:2]
    domain = corpus_wer((c, transcribe_file(clips[c]).words) for c in picked)
    generic = Recognizer("generic")
    open_wer = corpus_wer((c, generic.transcribe(load_wav(clips[c])).words) for c in picked)
    assert domain < 0.2 < open_wer


def test_every_catalogue_word_can_be_pronounced():
    built = build_domain_model()
    assert built.dropped == ()
    words = {line.split()[0].split("(")[0] for line in built.dictionary.read_text().splitlines()}
    assert {"hangzhou", "hoodie", "earbuds", "shanghai", "xl", "margherita"} <= words


def test_unknown_model_is_a_clear_error():
    with pytest.raises(SpeechError, match="unknown speech model 'nonsense'"):
        Recognizer("nonsense")


def test_numbers_normalise():
    assert normalise("Two adults") == normalise("2 adults") == ["2", "adults"]
    assert normalise("June twenty second, two thousand twenty five") == ["june", "22", "2025"]
    assert normalise("size forty two at seven pm") == ["size", "42", "at", "7", "pm"]
    assert normalise("the 20th") == normalise("the twentieth")
    assert normalise("one two") == ["1", "2"]


def _wav(samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def test_wav_is_resampled_to_16k_mono():
    t = np.arange(44100) / 44100
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    stereo = np.stack([tone, tone], axis=1).reshape(-1)
    out = load_wav(_wav(stereo, 44100, channels=2))
    assert out.dtype == np.int16 and out.size == 16000
    spectrum = np.abs(np.fft.rfft(out.astype(float)))
    assert abs(np.argmax(spectrum) - 440) <= 1  # one second: bin == Hz
    # A tone above the new Nyquist frequency must vanish, not fold back into the band.
    high = (8000 * np.sin(2 * np.pi * 10000 * t)).astype("<i2")
    assert np.abs(load_wav(_wav(high, 44100))).max() < 200


def test_bad_audio_is_reported(tmp_path):
    bad = tmp_path / "clip.webm"
    bad.write_bytes(b"\x1aE\xdf\xa3 not a wav")
    with pytest.raises(AudioError, match="not a PCM WAV file"):
        load_wav(bad)
    with pytest.raises(AudioError, match="no such audio file"):
        load_wav(tmp_path / "missing.wav")
    with pytest.raises(AudioError, match="holds no sound"):
        load_wav(_wav(np.zeros(0, dtype="<i2"), 16000))


def _has_capture_device() -> bool:
    if shutil.which("arecord"):
        listing = subprocess.run(["arecord", "-l"], capture_output=True, text=True)
        if "card" in listing.stdout:
            return True
    try:
        import sounddevice
        return any(d["max_input_channels"] > 0 for d in sounddevice.query_devices())
    except Exception:
        return False


@pytest.mark.skipif(_has_capture_device(), reason="this machine has a microphone")
def test_listen_without_a_microphone_says_so():
    with pytest.raises(MicrophoneUnavailable, match="no microphone to listen to.*--voice FILE.wav"):
        record(1.0)
    with pytest.raises(ValueError):
        record(0)


def test_confirm_transcript():
    def ask(text: str, reply: str) -> str | None:
        return confirm_transcript(text, stdin=io.StringIO(reply), stderr=io.StringIO())

    assert ask("Buy 2 mugs", "\n") == "Buy 2 mugs"
    assert ask("Buy 2 mugs", "yes\n") == "Buy 2 mugs"
    assert ask("Buy 2 mugs", "n\n") is None
    assert ask("Buy 2 mugs", "") is None  # no one at the terminal
    assert ask("Buy 2 mugs", "Buy 3 mugs\n") == "Buy 3 mugs"
    assert ask("", "\n") is None
    shown = io.StringIO()
    confirm_transcript("Book a hotel", stdin=io.StringIO("y\n"), stderr=shown)
    assert 'heard: "Book a hotel"' in shown.getvalue()
