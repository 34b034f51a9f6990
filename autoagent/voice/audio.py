"""WAV in, 16 kHz mono 16-bit PCM out: what the speech decoder's acoustic model was trained on."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

RATE = 16000


class AudioError(ValueError):
    """The audio cannot be used: not a WAV file, an unsupported sample format, empty."""


def load_wav(source: str | Path | bytes) -> np.ndarray:
    """Read a PCM WAV file (path or bytes) as 16 kHz mono int16 samples."""
    name = "the audio" if isinstance(source, bytes) else str(source)
    if not isinstance(source, bytes):
        path = Path(source)
        if not path.is_file():
            raise AudioError(f"no such audio file: {path}")
        data = path.read_bytes()
    else:
        data = source
    try:
        with wave.open(io.BytesIO(data)) as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as err:
        raise AudioError(f"{name} is not a PCM WAV file ({err}); record or convert it to WAV "
                         f"(e.g. ffmpeg -i clip.webm -ar 16000 -ac 1 clip.wav)") from None
    samples = _to_float(frames, width, name)
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1)
    if samples.size == 0:
        raise AudioError(f"{name} holds no sound")
    return to_int16(resample(samples, rate, RATE))


def _to_float(frames: bytes, width: int, name: str) -> np.ndarray:
    if width == 1:  # 8-bit WAV is unsigned
        return (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    if width == 2:
        return np.frombuffer(frames, dtype="<i2").astype(np.float64)
    if width == 3:
        raw = np.frombuffer(frames[: len(frames) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / 256.0
    if width == 4:
        return np.frombuffer(frames, dtype="<i4").astype(np.float64) / 65536.0
    raise AudioError(f"{name}: {8 * width}-bit samples are not supported")


def resample(samples: np.ndarray, rate: int, target: int = RATE) -> np.ndarray:
    """Band-limited resampling in the frequency domain.

    Cutting the spectrum at the new Nyquist frequency is what keeps 22.05/44.1 kHz speech
    from aliasing into the band the recogniser listens to (plain interpolation does not).
    """
    if rate <= 0:
        raise AudioError(f"bad sample rate {rate}")
    if rate == target or samples.size == 0:
        return samples.astype(np.float64)
    n_out = max(1, int(round(samples.size * target / rate)))
    spectrum = np.fft.rfft(samples)
    keep = n_out // 2 + 1
    out = np.zeros(keep, dtype=complex)
    m = min(keep, spectrum.size)
    out[:m] = spectrum[:m]
    return np.fft.irfft(out, n_out) * (n_out / samples.size)


def to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples), -32768, 32767).astype(np.int16)


def duration(samples: np.ndarray, rate: int = RATE) -> float:
    return samples.size / rate
