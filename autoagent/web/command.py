"""The ``autoagent serve`` sub-command."""

from __future__ import annotations

import argparse
import errno
import sys
import threading
from pathlib import Path

from autoagent.argtypes import seed


def add_serve_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "serve", help="a local web page to run tasks, watch the screen and approve payments",
        description="Start a web app: type or speak a task, pick a device, watch the live screen and each "
                    "step, approve or deny payments, take over, stop. Binds to loopback unless --allow-remote.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind [default: 127.0.0.1]")
    p.add_argument("--port", type=int, default=8765, help="port [default: 8765; 0 picks a free one]")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a non-loopback --host; every request then needs the token")
    p.add_argument("--token", help="require this token on every request [default: none on loopback, "
                                   "a random one with --allow-remote]")
    p.add_argument("--seed", type=seed, default=0, help="emulator seed [default: 0]")
    p.add_argument("--max-steps", type=int, default=30, help="stop a run after this many steps [default: 30]")
    p.add_argument("--traces", type=Path, default=Path("traces"), help="where traces go [default: ./traces]")
    p.add_argument("--confirm-timeout", type=float, default=600.0,
                   help="seconds a question waits for an answer before it counts as no [default: 600]")
    p.add_argument("--speech-model", help="speech model for uploaded clips: whisper-base or a CTranslate2 Whisper "
                                          "model directory [default: $AUTOAGENT_STT_MODEL or whisper-base]")
    p.set_defaults(func=cmd_serve)
    return p


def cmd_serve(args: argparse.Namespace) -> int:
    from autoagent.web.server import make_app

    if args.max_steps < 1:
        print("autoagent: error: --max-steps must be at least 1", file=sys.stderr)
        return 2
    try:
        served = make_app(host=args.host, port=args.port, token=args.token, allow_remote=args.allow_remote,
                          traces=args.traces, seed=args.seed, max_steps=args.max_steps,
                          confirm_timeout=args.confirm_timeout, speech_model=args.speech_model)
    except ValueError as err:
        print(f"autoagent: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the address: name it, since the system's message does not
        hint = " (is another server using it? choose another --port, or 0 for a free one)" \
            if err.errno == errno.EADDRINUSE else ""
        print(f"autoagent: error: cannot listen on {args.host}:{args.port}: {err.strerror or err}{hint}",
              file=sys.stderr)
        return 2
    print(f"autoagent web app: {served.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        served.close()
    return 0
