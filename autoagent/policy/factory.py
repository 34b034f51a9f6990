"""One entry point that turns command-line style options into a Policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoagent.extras import require
from autoagent.policy.base import Policy
from autoagent.policy.images import DEFAULT_MAX_PIXELS, MIN_PIXELS
from autoagent.policy.prompts import LANGS

ENGINES = ("openai", "local", "replay")
# The name the AutoGLM deployment guides serve the model under.
DEFAULT_SERVED_MODEL = "autoglm-phone-9b"
# The policy on the built-in emulator when none is named: "local" without a folder is the embedded
# policy, which reads requests in everyday words. Phones and browsers have no default: the embedded
# policy knows only the emulator's apps.
EMULATOR_ENGINE = "local"

_OWNED = {"base_url": "openai", "api_key": "openai", "model_path": "local", "trace": "replay"}


def make_policy(engine: str, *, base_url: str | None = None, model: str | None = None,
                api_key: str | None = None, model_path: str | Path | None = None,
                trace: str | Path | None = None, lang: str = "en", max_pixels: int | None = None,
                max_tokens: int | None = None, device: str = "auto", ui_text: bool = True,
                **engine_options: Any) -> Policy:
    """Build the policy for ``engine``: ``openai`` (a served model), ``local`` (a checkpoint
    folder run in-process; without ``model_path``, the embedded policy shipped in the
    package) or ``replay`` (the replies of a recorded trace).

    Raises ValueError for options that do not fit together; PolicyError when the engine
    itself cannot start (missing checkpoint files, empty trace); MissingExtra when its extra
    is not installed.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")
    if max_pixels is not None and max_pixels < 2 * MIN_PIXELS:
        raise ValueError(f"max_pixels {max_pixels} is too small to show a screen (at least {2 * MIN_PIXELS})")
    given = {"base_url": base_url, "api_key": api_key, "model_path": model_path, "trace": trace}
    for option, owner in _OWNED.items():
        if given[option] is not None and owner != engine:
            raise ValueError(f"{option} is an option of engine {owner!r}, not {engine!r}")
    if model is not None and engine != "openai":
        raise ValueError(f"model names the served model of engine 'openai'; engine {engine!r} "
                         f"{'takes model_path' if engine == 'local' else 'does not use it'}")
    pixels = max_pixels or DEFAULT_MAX_PIXELS

    if engine == "openai":
        if not base_url:
            raise ValueError("engine 'openai' needs base_url, e.g. http://localhost:8000/v1")
        from autoagent.policy.openai_engine import OpenAIPolicy

        options = dict(engine_options)
        if max_tokens is not None:
            options["max_tokens"] = max_tokens
        return OpenAIPolicy(base_url=base_url, model=model or DEFAULT_SERVED_MODEL, api_key=api_key,
                            lang=lang, max_pixels=pixels, ui_text=ui_text, **options)
    if engine == "local":
        require("local", "the local engine" if model_path else "the embedded policy (the local engine)")
        from autoagent.policy.embedded import embedded_checkpoint
        from autoagent.policy.local_engine import LocalGLMPolicy

        # No folder: the small policy shipped in the package (it knows the emulator's apps).
        model_path = model_path or embedded_checkpoint()

        options = dict(engine_options)
        if max_tokens is not None:
            options["max_new_tokens"] = max_tokens
        return LocalGLMPolicy(model_path=model_path, lang=lang, max_pixels=pixels, device=device,
                              ui_text=ui_text, **options)
    if not trace:
        raise ValueError("engine 'replay' needs trace, the directory of a recorded run")
    if engine_options:
        raise ValueError(f"engine 'replay' takes no {', '.join(sorted(engine_options))}")
    from autoagent.policy.reply_replay import ReplayPolicy

    return ReplayPolicy.from_trace(trace)
