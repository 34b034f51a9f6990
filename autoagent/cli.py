"""The ``autoagent`` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from autoagent.argtypes import seed
from autoagent.extras import MissingExtra
from autoagent.plugins import Command, target, targets
from autoagent.targets import DEVICE_HELP

EXIT_CODES = {
    "success": 0,
    "failed": 1,
    "error": 2,
    "needs_human": 3,
    "step_limit": 4,
    "loop": 5,  # the agent repeated an action that changed nothing, after it was told (autoagent.loops)
    "interrupted": 130,
}


class UsageError(Exception):
    """A mistake of the user's: printed as one line, no traceback."""


class Cancelled(Exception):
    """The user called the run off before it began (a spoken task not confirmed): one line, exit 0."""


def _fail(message: str) -> int:
    print(f"autoagent: error: {message}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------------------- run


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="carry out a task on a phone, the emulator or a browser",
        description="Carry out a task. Each step: screenshot -> model -> safety guard -> action. "
        "Payments and other irreversible steps wait for your yes.",
        epilog="examples:\n"
        '  autoagent run "Buy a white T-shirt in size M" --device emulator\n'
        '  autoagent run "订一家上海的酒店" --device android --engine openai \\\n'
        "      --base-url http://localhost:8000/v1 --model autoglm-phone-9b\n"
        '  autoagent run "Book a table for 2" --engine local --model-path ./AutoGLM-Phone-9B\n'
        '  autoagent run "Turn off Wi-Fi." --device emulator:a --device emulator:b\n'
        "exit codes: 0 success, 1 failed, 2 error, 3 needs a human, 4 step limit, 5 loop (the agent kept\n"
        "repeating an action that changed nothing), 130 interrupted; with several devices, the code of\n"
        "the first device whose run did not succeed. A spoken task you do not confirm runs nothing and\n"
        "exits 0 with one line saying it was cancelled",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("task", nargs="?", default="", help="what to do, in plain words (English or Chinese)")
    p.add_argument("--voice", type=Path, metavar="FILE.wav",
                   help="speak the task: transcribe this WAV offline, confirm it, then run")
    p.add_argument("--listen", nargs="?", type=float, const=6.0, metavar="SECONDS",
                   help="speak the task into the microphone [default: 6 s]")
    p.add_argument("--speech-model",
                   help="speech model: whisper-base (default, English and Mandarin) or a CTranslate2 Whisper model "
                   "directory [$AUTOAGENT_STT_MODEL]; $AUTOAGENT_STT_LANGUAGE=en or zh skips language identification")
    p.add_argument("--device", action="append", metavar="SPEC",
                   help=DEVICE_HELP + "; repeat it to run the task on several devices at once, one agent on "
                   "a thread per device, each with its own trace [default: emulator]")
    p.add_argument("--seed", type=seed, default=0, help="emulator seed: catalogue and hazards [default: 0]")
    p.add_argument("--mobile", action="store_true", help="browser: phone-sized viewport with touch")
    p.add_argument("--engine", choices=["openai", "local", "replay", "expert"], default=None,
                   help="openai: an OpenAI-compatible server (vLLM, SGLang, hosted); local: a checkpoint "
                        "folder loaded with transformers (without --model-path: the embedded policy, a small "
                        "GLM shipped in the package that reads requests about the emulator's apps); replay: "
                        "the replies of a recorded trace; expert: the emulator's built-in demonstrator, which "
                        "knows only the emulator's own tasks word for word (demonstrations and training data) "
                        "[default on the emulator with no model options: local, the embedded policy]")
    p.add_argument("--base-url", help="openai engine: server URL, e.g. http://localhost:8000/v1")
    p.add_argument("--model", help="openai engine: model name on the server")
    p.add_argument("--api-key", help="openai engine: API key [default: $AUTOAGENT_API_KEY or $OPENAI_API_KEY]")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="openai engine: the longest one request to the model may take, its whole reply "
                        "included [default: $AUTOAGENT_TIMEOUT or 120]")
    p.add_argument("--retries", type=int, metavar="N",
                   help="openai engine: retries of a failed or cut-off request; one that timed out is "
                        "retried once [default: $AUTOAGENT_RETRIES or 4]")
    p.add_argument("--model-path", type=Path, help="local engine: checkpoint folder")
    p.add_argument("--trace", type=Path, help="replay engine: a trace directory to replay")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="system prompt language [default: en]")
    p.add_argument("--max-steps", type=int, default=30, help="stop after this many steps [default: 30]")
    p.add_argument("--traces", type=Path, default=Path("traces"), help="where traces go [default: ./traces]")
    p.add_argument("--confirm", choices=["ask", "never"], default="ask",
                   help="ask: ask on this terminal before payments (no terminal means no); "
                        "never: refuse every confirmation [default: ask]")
    p.add_argument("--approve", action="append", default=[], metavar="CATEGORY",
                   choices=["payment", "purchase", "send", "delete", "personal_data"],
                   help="emulator only: answer yes in advance to this class of confirmation (repeatable), "
                        "for unattended demos and QA; ignored on phones and browsers")
    p.add_argument("--report", action="store_true", help="write report.html into the trace when done")
    p.add_argument("-q", "--quiet", action="store_true", help="no per-step progress lines")
    p.set_defaults(func=_cmd_run)


def _engine_from_args(args: argparse.Namespace) -> str:
    from autoagent.policy.factory import EMULATOR_ENGINE

    if args.engine:
        return args.engine
    if args.base_url:
        return "openai"
    if args.model_path:
        return "local"
    if args.trace:
        return "replay"
    if all(_on_emulator(spec) for spec in _device_specs(args)):
        return EMULATOR_ENGINE
    raise UsageError("choose a policy: --engine openai --base-url URL --model NAME, "
                     "--engine local --model-path DIR, or --engine replay --trace DIR")


def _expert_for(args: argparse.Namespace, spec: str, device):  # -> Policy
    """The emulator's demonstrator drives the emulator's own tasks, recognised by their goal or id."""
    emulator = target("emulator")
    if not _on_emulator(spec) or emulator is None or emulator.expert is None or emulator.tasks is None:
        raise UsageError("--engine expert drives the emulator only; for a phone or a browser choose "
                         "--engine openai or --engine local")
    tasks = emulator.tasks()
    wanted = _normalise_goal(args.task)
    for task in tasks:
        if wanted in (_normalise_goal(task.goal), _normalise_goal(task.goal_zh), task.id):
            return emulator.expert(device, task, "zh" if wanted == _normalise_goal(task.goal_zh) else "en")
    known = "\n".join(f"  {t.goal}" for t in tasks)
    raise UsageError(f"the built-in expert knows only the emulator's tasks; try one of:\n{known}\n"
                     "or leave out --engine: the embedded policy reads requests in everyday words")


def _on_emulator(spec: str) -> bool:
    return spec.partition(":")[0].strip().lower() == "emulator"


def _normalise_goal(text: str) -> str:
    return " ".join(text.lower().replace("。", " ").replace(".", " ").split())


def _policy_from_args(args: argparse.Namespace, engine: str):  # -> Policy
    from autoagent.policy.base import PolicyError
    from autoagent.policy.factory import make_policy

    try:
        return make_policy(engine, base_url=args.base_url, model=args.model, api_key=args.api_key,
                           model_path=args.model_path, trace=args.trace, lang=args.lang,
                           **_model_server_options(args, engine))
    except (ValueError, PolicyError) as err:
        raise UsageError(str(err)) from None


def _model_server_options(args: argparse.Namespace, engine: str) -> dict:
    """--timeout, --retries and the waiting lines: options of the openai engine only."""
    if engine != "openai":
        if args.timeout is not None or args.retries is not None:
            raise UsageError("--timeout and --retries apply to --engine openai")
        return {}
    options: dict = {"on_wait": None if args.quiet else _show_wait}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.retries is not None:
        options["max_retries"] = args.retries
    return options


def _show_wait(event) -> None:  # ModelWait: a slow or failing model server is never silent
    print(event, file=sys.stderr, flush=True)


def _progress(max_steps: int, quiet: bool, label: str = ""):
    def show(record) -> None:  # StepRecord
        if quiet:
            return
        model = record.timings.get("model", 0.0) / 1000
        own = (record.own_ms if "total" in record.timings else record.timings.get("model", 0.0)) / 1000
        waited = f", waited for you {record.waited_ms / 1000:.1f}s" if record.waited_ms else ""
        what = record.answer or record.error or record.outcome
        print(f"{label + ' ' if label else ''}[{record.step}/{max_steps}] {what}  "
              f"({record.outcome}; model {model:.1f}s, step {own:.1f}s{waited})", file=sys.stderr, flush=True)
    return show


def _task_from_speech(args: argparse.Namespace) -> str:
    from autoagent.voice import (AudioError, MicrophoneUnavailable, SpeechError, confirm_transcript, listen,
                                 transcribe_file)

    if args.task:
        raise UsageError("give the task as text or as speech, not both")
    try:
        heard = (transcribe_file(args.voice, model=args.speech_model) if args.voice
                 else listen(args.listen, model=args.speech_model))
    except (AudioError, MicrophoneUnavailable, SpeechError, ValueError) as err:
        raise UsageError(str(err)) from None
    task = confirm_transcript(heard.text)
    if task is None:
        raise Cancelled("cancelled: the transcript was not confirmed, so nothing was run")
    return task


def _cmd_run(args: argparse.Namespace) -> int:
    from autoagent.trace import read_trace
    from autoagent.trace_report import write_report

    if args.voice or args.listen:
        args.task = _task_from_speech(args)
    if not args.task.strip():
        raise UsageError("the task is empty: say what the agent should do (as text, --voice FILE.wav or --listen)")
    if args.max_steps < 1:
        raise UsageError("--max-steps must be at least 1")
    specs = _device_specs(args)
    engine = _engine_from_args(args)
    if args.approve and not all(_on_emulator(spec) for spec in specs):
        print("autoagent: --approve applies to the emulator only; you will be asked instead", file=sys.stderr)
    from autoagent.targets import check_spec

    for spec in specs:
        try:
            check_spec(spec)
        except ValueError as err:
            raise UsageError(str(err)) from None
    terminal = threading.Lock()  # several agents ask on one terminal: one question at a time
    several = len(specs) > 1

    def run_on(spec: str):  # -> Result
        # Opened on the thread that drives it: a browser's Playwright objects work only there.
        return _PreparedRun.open(args, spec, engine, terminal, label=spec if several else "").run(args.task)

    if not several:
        results = [("", run_on(specs[0]))]
    else:
        from autoagent.parallel import run_each

        results = []
        for one in run_each([(spec, lambda spec=spec: run_on(spec)) for spec in specs]):
            if isinstance(one.error, UsageError):
                raise UsageError(f"{one.label}: {one.error}")
            if one.error is not None:
                raise one.error
            results.append((one.label, one.result))
    codes = []
    for label, result in results:
        prefix = f"{label}: " if label else ""
        print(f"{prefix}{result.status.value}: {result.message}".rstrip(": "))
        if result.trace_dir:
            print(f"{prefix}trace: {result.trace_dir}")
        if args.report and result.trace_dir:
            print(f"{prefix}report: {write_report(read_trace(result.trace_dir))}")
        codes.append(EXIT_CODES[result.status.value])
    # Several devices: 0 when every run succeeded, else the code of the first that did not.
    return next((code for code in codes if code != 0), 0)


def _device_specs(args: argparse.Namespace) -> list[str]:
    specs = [spec.strip() for spec in (args.device or ["emulator"])]
    for spec in specs:
        if not spec:
            raise UsageError("--device is empty: " + DEVICE_HELP)
        if specs.count(spec) > 1:
            raise UsageError(f"--device {spec} is given twice: each agent needs a device of its own "
                             "(emulator:a and emulator:b are two emulator phones)")
    return specs


class _PreparedRun:
    """One device with its policy and its human, ready to run the task."""

    def __init__(self, args: argparse.Namespace, spec: str, device, policy, human, label: str) -> None:
        self.args, self.spec, self.device, self.policy, self.human, self.label = args, spec, device, policy, human, label

    @classmethod
    def open(cls, args: argparse.Namespace, spec: str, engine: str, terminal: threading.Lock,
             label: str) -> "_PreparedRun":
        from autoagent.device import DeviceError
        from autoagent.safety import NoHuman, ScenarioApprovals, TerminalHuman
        from autoagent.targets import open_device

        policy = None if engine == "expert" else _policy_from_args(args, engine)
        try:
            device = open_device(spec, seed=args.seed, mobile=args.mobile)
        except (ValueError, DeviceError) as err:
            if policy is not None:
                policy.close()
            raise UsageError(str(err)) from None
        if policy is None:
            try:
                policy = _expert_for(args, spec, device)
            except UsageError:
                device.close()
                raise
        if args.approve and _on_emulator(spec):
            # ScenarioApprovals checks the device itself as well: it never approves on a real target.
            human = ScenarioApprovals(device, categories=set(args.approve))
        elif args.confirm == "ask" and sys.stdin.isatty():
            human = TerminalHuman(label=label, lock=terminal)
        else:
            human = NoHuman()
        return cls(args, spec, device, policy, human, label)

    def run(self, task: str):  # -> Result
        from autoagent.agent import Agent
        from autoagent.policy.base import PolicyError

        args = self.args
        agent = Agent(device=self.device, policy=self.policy, human=self.human, max_steps=args.max_steps,
                      trace_root=args.traces, on_step=_progress(args.max_steps, args.quiet, self.label))
        try:
            return agent.run(task)
        except PolicyError as err:
            raise UsageError(str(err)) from None
        except OSError as err:  # e.g. a --traces folder that cannot be written
            raise UsageError(f"cannot write the trace: {err}") from None
        finally:
            self.close()

    def close(self) -> None:
        try:
            self.device.close()
        finally:
            self.policy.close()


# ---------------------------------------------------------------------------- parse / report


def _cmd_parse(args: argparse.Namespace) -> int:
    from autoagent.actions import action_to_json
    from autoagent.grammar import UnparseableReply, parse_reply

    raw = sys.stdin.read()
    try:
        parsed = parse_reply(raw)
    except UnparseableReply as err:
        print(f"autoagent: cannot parse the reply: {err.reason}", file=sys.stderr)
        return 1
    out = {"thought": parsed.thought, "action": action_to_json(parsed.action), "answer": parsed.answer}
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from autoagent.trace import TraceError, read_trace
    from autoagent.trace_report import write_report

    try:
        trace = read_trace(args.trace)
    except TraceError as err:
        raise UsageError(str(err)) from None
    try:
        out = write_report(trace, args.output)
    except OSError as err:
        raise UsageError(f"cannot write the report: {err}") from None
    print(out)
    return 0


def _passthrough(command: str, argv: list[str]) -> int:
    """Commands whose module owns its parser: everything after the name goes to it, --help included."""
    if command == "train":
        from autoagent.training.train import main as run

        return int(run(argv) or 0)
    return int(_target_commands()[command].main(argv) or 0)


def _target_commands() -> dict[str, Command]:
    """Commands installed targets add (the emulator: emulator, demos, eval)."""
    return {name: command for plugged in targets().values() for name, command in plugged.commands.items()}


def _passthrough_commands() -> dict[str, str]:
    return {**{name: command.help for name, command in _target_commands().items()},
            "train": "train the embedded policy, a small Glm4v, from demonstrations on the CPU"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autoagent",
        description="An AutoGLM-style agent for phones, the built-in emulator and browsers. "
        "It never pays without asking you.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run(sub)
    from autoagent.scenarios.commands import add_record_parser, add_test_parser

    add_test_parser(sub)
    add_record_parser(sub)
    from autoagent.web.command import add_serve_parser

    add_serve_parser(sub)
    from autoagent.mcp.command import add_mcp_parser

    add_mcp_parser(sub)
    p = sub.add_parser("parse", help="parse a raw model reply from stdin and print the action as JSON",
                       description="Debug a model's output: reads one reply on stdin, prints the parsed "
                                   "thought and action as JSON; exit 1 if it holds no valid action.")
    p.set_defaults(func=_cmd_parse)
    p = sub.add_parser("report", help="render a trace as a self-contained HTML page")
    p.add_argument("trace", type=Path, help="trace directory (written by `autoagent run`)")
    p.add_argument("-o", "--output", type=Path, help="output file [default: TRACE/report.html]")
    p.set_defaults(func=_cmd_report)
    for name, summary in _passthrough_commands().items():
        sub.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] and argv[0] in _passthrough_commands():
            return _passthrough(argv[0], argv[1:])
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except (UsageError, MissingExtra) as err:
        return _fail(str(err))
    except Cancelled as err:  # the user's own choice, not an error
        print(f"autoagent: {err}", file=sys.stderr)
        return 0
    except KeyboardInterrupt:
        print("autoagent: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error of ours.
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(main())
