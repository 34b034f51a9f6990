"""The ``autoagent mcp`` sub-command."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from autoagent.argtypes import seed
from autoagent.targets import DEVICE_HELP

ENGINE_OPTIONS = ("base_url", "model", "api_key", "model_path", "lang")
LOOPBACK_NAMES = ("localhost",)


def add_mcp_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "mcp", help="serve the agent to MCP clients (desktop assistants, coding agents) over stdio or HTTP",
        description="Serve the agent over the Model Context Protocol. Tools: list_devices, observe (a\n"
                    "screenshot and the screen's elements), act (one action in AutoGLM's grammar) and run_task (a\n"
                    "whole task, with progress). Every action passes the same safety guard as the agent's own:\n"
                    "payments, purchases, messages, deletions and personal data wait for the user's yes, asked\n"
                    "through the client's elicitation, and are refused when the client cannot ask. The client\n"
                    "drives only the devices named here.",
        epilog="examples:\n"
               "  autoagent mcp                                   # stdio, the built-in emulator\n"
               "  autoagent mcp --device android:SERIAL --engine openai --base-url http://gpu:8000/v1\n"
               "  autoagent mcp --device emulator:a --device emulator:b --http 127.0.0.1:8931\n"
               "a desktop assistant's configuration (e.g. mcpServers in its JSON settings):\n"
               '  {"mcpServers": {"autoagent": {"command": "autoagent", "args": ["mcp"]}}}',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--device", action="append", metavar="SPEC",
                   help=f"a device the client may drive (repeatable): {DEVICE_HELP} [default: emulator]")
    p.add_argument("--http", metavar="HOST:PORT",
                   help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio; loopback only "
                        "(127.0.0.1, ::1, localhost), since the server has no authentication")
    p.add_argument("--engine", choices=["openai", "local", "replay", "expert"],
                   help="the policy of run_task (act needs none): openai, local, replay, or expert (the "
                        "emulator's demonstrator, for its own tasks word for word) [default on the emulator: "
                        "local, the embedded policy]")
    p.add_argument("--base-url", help="openai engine: server URL, e.g. http://localhost:8000/v1")
    p.add_argument("--model", help="openai engine: model name on the server")
    p.add_argument("--api-key", help="openai engine: API key [default: $AUTOAGENT_API_KEY or $OPENAI_API_KEY]")
    p.add_argument("--model-path", type=Path, help="local engine: checkpoint folder [default: the embedded policy]")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="system prompt language [default: en]")
    p.add_argument("--max-steps", type=int, default=30, help="run_task stops after this many steps [default: 30]")
    p.add_argument("--seed", type=seed, default=0, help="emulator seed [default: 0]")
    p.add_argument("--mobile", action="store_true", help="browser: phone-sized viewport with touch")
    p.add_argument("--traces", type=Path, default=Path("traces"), help="where traces go [default: ./traces]")
    p.set_defaults(func=cmd_mcp)
    return p


def loopback_address(text: str) -> tuple[str, int]:
    """HOST:PORT (``[::1]:PORT`` for IPv6) on loopback; ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--http wants HOST:PORT, e.g. 127.0.0.1:8931, not {text!r}")
    if host.lower() not in LOOPBACK_NAMES:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"--http serves loopback only (127.0.0.1, ::1, localhost), not {host!r}: "
                             "the server drives your devices and has no authentication")
    return host, int(port)


def cmd_mcp(args: argparse.Namespace) -> int:
    from autoagent.extras import require

    require("mcp", "the MCP server")
    from autoagent.mcp.server import AgentServer, ServerConfig

    try:
        address = loopback_address(args.http) if args.http else None
        if args.max_steps < 1:
            raise ValueError("--max-steps must be at least 1")
        options = {key: str(getattr(args, key)) for key in ENGINE_OPTIONS if getattr(args, key) is not None}
        config = ServerConfig(devices=args.device or ["emulator"], engine=args.engine, engine_options=options,
                              max_steps=args.max_steps, seed=args.seed, mobile=args.mobile, traces=args.traces)
        agent = AgentServer(config)
    except ValueError as err:
        print(f"autoagent: error: {err}", file=sys.stderr)
        return 2
    app = agent.app()
    try:
        if address is None:
            # The SDK points the process's stdout at stderr while it serves, so nothing printed
            # along the way can corrupt the protocol.
            app.run("stdio")
        else:
            host, port = address
            print(f"autoagent MCP server: http://{host if ':' not in host else f'[{host}]'}:{port}/mcp",
                  file=sys.stderr, flush=True)
            app.run("streamable-http", host=host, port=port)
    except KeyboardInterrupt:
        pass
    finally:
        agent.close()
    return 0
