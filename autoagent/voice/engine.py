"""Offline speech to text with PocketSphinx, whose PyPI wheel carries its own en-US acoustic
model, dictionary and language model: nothing is downloaded when it runs.

Models (``model=`` or ``$AUTOAGENT_STT_MODEL``):

* ``domain`` (default): an n-gram language model and a small dictionary built locally from the
  shopping/booking vocabulary of :mod:`autoagent.voice.domain`, cached under
  ``$AUTOAGENT_CACHE`` (default ``~/.cache/autoagent``);
* ``generic``: the wheel's general English model (open vocabulary, far less accurate on
  commands like these);
* a file: ``*.lm`` / ``*.arpa`` / ``*.lm.bin`` (a language model, with the wheel's dictionary
  unless ``dictionary=`` is given) or ``*.jsgf`` / ``*.gram`` (a JSGF grammar).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from autoagent.extras import MissingExtra, require
from autoagent.voice.audio import RATE, duration
from autoagent.voice.domain import EXTRA_PRONUNCIATIONS, corpus, emulator_domain, spoken
from autoagent.voice.text import numbers_to_digits

MODELS = ("domain", "generic")
DEFAULT_MODEL = "domain"
MODEL_ENV = "AUTOAGENT_STT_MODEL"
PAD_S = 0.3
NOISE_FLOOR = 16.0  # standard deviation in 16-bit units, about -66 dBFS


class SpeechError(RuntimeError):
    """Speech recognition cannot run (engine missing, bad model file)."""


class Transcript(BaseModel):
    text: str  # for people and for the agent: numbers as digits, names capitalised
    words: str  # what the recogniser produced, verbatim
    model: str
    audio_s: float
    decode_s: float
    source: str = ""  # a file name, "microphone", "upload"

    @property
    def empty(self) -> bool:
        return not self.words.strip()


def _pocketsphinx():
    try:
        require("voice", "speech recognition")
    except MissingExtra as err:  # callers report SpeechError, whatever stopped recognition
        raise SpeechError(str(err)) from None
    import pocketsphinx

    return pocketsphinx


def cache_dir() -> Path:
    root = os.environ.get("AUTOAGENT_CACHE")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "autoagent"


def _cmudict() -> dict[str, list[str]]:
    ps = _pocketsphinx()
    prons: dict[str, list[str]] = {}
    with open(ps.get_model_path("en-us/cmudict-en-us.dict"), encoding="utf-8") as f:
        for line in f:
            head, _, phones = line.strip().partition(" ")
            if phones:
                prons.setdefault(head.split("(")[0], []).append(phones.strip())
    return prons


@dataclass(frozen=True)
class DomainModel:
    lm: Path
    dictionary: Path
    words: int
    sentences: int
    dropped: tuple[str, ...]  # words with no pronunciation (their sentences were left out)


def build_domain_model(directory: Path | None = None, sentences: int = 6000) -> DomainModel:
    """Write the domain language model and dictionary (once; later calls reuse the files)."""
    ps = _pocketsphinx()
    lines = corpus(emulator_domain(), sentences=sentences)
    key = hashlib.sha256("\n".join(lines + sorted(f"{k} {v}" for k, v in EXTRA_PRONUNCIATIONS.items())
                                   + [getattr(ps, "__version__", "5")]).encode()).hexdigest()[:12]
    directory = directory or cache_dir() / "voice" / f"domain-{key}"
    lm, dic, info = directory / "domain.lm", directory / "domain.dict", directory / "info.txt"
    if lm.is_file() and dic.is_file() and info.is_file():
        words, kept, *dropped = info.read_text().split("\n")
        return DomainModel(lm, dic, int(words), int(kept), tuple(d for d in dropped if d))

    prons = _cmudict()
    for word, phones in EXTRA_PRONUNCIATIONS.items():
        prons.setdefault(word, []).insert(0, phones)
    vocab = {w for line in lines for w in line.split()}
    missing = sorted(w for w in vocab if w not in prons)
    kept = [line for line in lines if not any(w in missing for w in line.split())]

    from pocketsphinx.lm import ArpaBoLM

    model = ArpaBoLM(text="\n".join(kept), add_start=True, discount_mass=0.5)
    model.compute()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory
    except OSError:
        target = Path(tempfile.mkdtemp(prefix="autoagent-voice-"))
        lm, dic, info = target / "domain.lm", target / "domain.dict", target / "info.txt"
    used = sorted({w for line in kept for w in line.split()})
    tmp = target / f".tmp-{os.getpid()}-{threading.get_ident()}"
    tmp.mkdir(exist_ok=True)
    model.write_file(str(tmp / "domain.lm"))
    with open(tmp / "domain.dict", "w", encoding="utf-8") as f:
        for word in used:
            for i, phones in enumerate(prons[word]):
                f.write(f"{word}{'' if i == 0 else f'({i + 1})'} {phones}\n")
    (tmp / "info.txt").write_text("\n".join([str(len(used)), str(len(kept)), *missing]))
    for name in ("domain.lm", "domain.dict", "info.txt"):
        os.replace(tmp / name, target / name)  # info last: its presence marks a complete model
    tmp.rmdir()
    return DomainModel(lm, dic, len(used), len(kept), tuple(missing))


def resolve_model(model: str | None) -> str:
    return (model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL).strip()


class Recognizer:
    """One PocketSphinx decoder; safe to share between threads (decoding is serialised)."""

    def __init__(self, model: str | None = None, dictionary: str | Path | None = None) -> None:
        ps = _pocketsphinx()
        self.model = resolve_model(model)
        self._lock = threading.Lock()
        self._domain_names: list[str] = []
        # topn 8 (instead of 4 Gaussians per frame) is worth several points of WER for little time.
        options: dict[str, object] = {"loglevel": "FATAL", "samprate": RATE, "topn": 8}
        if self.model == "domain":
            built = build_domain_model()
            options.update(lm=str(built.lm), dict=str(built.dictionary))
            self._domain_names = emulator_domain().names()
        elif self.model == "generic":
            pass  # the wheel's defaults
        else:
            path = Path(self.model).expanduser()
            if not path.is_file():
                raise SpeechError(f"unknown speech model {self.model!r}: use {' or '.join(MODELS)}, "
                                  f"or the path of a .lm/.arpa/.lm.bin language model or a .jsgf grammar")
            if path.suffix in (".jsgf", ".gram"):
                options.update(jsgf=str(path), lm=None)
            else:
                options.update(lm=str(path))
        if dictionary is not None:
            if not Path(dictionary).is_file():
                raise SpeechError(f"no such pronunciation dictionary: {dictionary}")
            options["dict"] = str(dictionary)
        try:
            self._decoder = ps.Decoder(**options)
        except (RuntimeError, ValueError) as err:
            raise SpeechError(f"speech model {self.model!r} could not be loaded: {err}") from None

    def transcribe(self, samples: np.ndarray, source: str = "") -> Transcript:
        """Decode 16 kHz mono int16 samples."""
        started = time.perf_counter()
        # Silence on both sides: the feature front end needs a few frames before the first word,
        # and clips cut right at the first consonant ("buy", "book") otherwise lose it.
        # A faint, seeded noise floor: runs of exact digital zeros (synthesised or gated audio)
        # give the front end log(0) energies and wreck its normalisation; real rooms are never
        # that quiet. Seeded, so the same clip always gives the same transcript.
        pad = np.zeros(int(PAD_S * RATE))
        signal = np.concatenate([pad, np.asarray(samples, dtype=np.float64), pad])
        signal += np.random.default_rng(0).normal(0.0, NOISE_FLOOR, signal.size)
        pcm = np.clip(np.round(signal), -32768, 32767).astype("<i2").tobytes()
        with self._lock:
            self._decoder.start_utt()
            self._decoder.process_raw(pcm, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
        words = hyp.hypstr.strip() if hyp is not None else ""
        words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>|\[[^\]]+\]|\(\d+\)", " ", words)).strip()
        return Transcript(text=present(words, self._domain_names), words=words, model=self.model,
                          audio_s=round(duration(samples), 3), decode_s=round(time.perf_counter() - started, 3),
                          source=source)


def present(words: str, names: list[str] | None = None) -> str:
    """The transcript as a task: digits for numbers, names as the apps write them, sizes in capitals."""
    if not words:
        return ""
    text = " ".join(numbers_to_digits(words.split()))
    for name in names or []:
        said = " ".join(numbers_to_digits(spoken(name).split()))
        if said:
            text = re.sub(rf"\b{re.escape(said)}\b", name, text)
    text = re.sub(r"\bsize (xxl|xl|s|m|l)\b", lambda m: f"size {m.group(1).upper()}", text)
    text = re.sub(r"\bi\b", "I", text)
    return text[0].upper() + text[1:]


_shared: dict[tuple[str, str | None], Recognizer] = {}
_shared_lock = threading.Lock()


def recognizer(model: str | None = None, dictionary: str | Path | None = None) -> Recognizer:
    """A process-wide recognizer per model (loading one takes about a second)."""
    key = (resolve_model(model), str(dictionary) if dictionary else None)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Recognizer(*key)
        return _shared[key]
