"""Speech in: offline transcription of a spoken task (PocketSphinx, no downloads at run time).

    from autoagent.voice import transcribe_file, listen, confirm_transcript
    heard = transcribe_file("task.wav")           # Transcript(text="Buy 2 Grey hoodies in size L", ...)
    task = confirm_transcript(heard.text)         # shown and confirmed before the agent acts

The default model is a language model of the shopping/booking domain built locally from the
emulator's vocabulary (``model="generic"`` for open English, or a path; ``$AUTOAGENT_STT_MODEL``).
"""

from autoagent.voice.audio import AudioError, load_wav
from autoagent.voice.command import confirm_transcript, listen, transcribe_bytes, transcribe_file
from autoagent.voice.engine import DEFAULT_MODEL, MODELS, Recognizer, SpeechError, Transcript, recognizer
from autoagent.voice.microphone import MicrophoneUnavailable, record
from autoagent.voice.text import corpus_wer, normalise, wer

__all__ = ["AudioError", "DEFAULT_MODEL", "MODELS", "MicrophoneUnavailable", "Recognizer", "SpeechError",
           "Transcript", "confirm_transcript", "corpus_wer", "listen", "load_wav", "normalise", "record",
           "recognizer", "transcribe_bytes", "transcribe_file", "wer"]
