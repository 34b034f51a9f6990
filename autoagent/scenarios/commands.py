"""``autoagent test`` (run scenarios with pytest, write JUnit XML and an HTML report) and
``autoagent record`` (capture a run, human- or agent-driven, as a trace)."""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from autoagent.argtypes import seed

PLUGIN = "autoagent.scenarios.plugin"


class CommandUsageError(Exception):
    """A mistake in the command line: printed as one line."""


def _friendly(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """User mistakes become one line on stderr and exit code 2, whichever parser calls the command."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except CommandUsageError as err:
            print(f"autoagent: error: {err}", file=sys.stderr)
            return 2
    return run


# ---------------------------------------------------------------------------- test


def add_test_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "test", help="run YAML scenarios (pytest underneath) and write an HTML report",
        description="Run *.scenario.yaml files as pytest tests: one item per scenario, JUnit XML for CI, "
                    "an HTML report with one page per scenario (steps, screenshots, timings, why it failed).",
        epilog="examples:\n  autoagent test scenarios/\n  autoagent test scenarios/ -n 2 -k shop\n"
               "  autoagent test scenarios/ --shard 1/3 --junitxml junit.xml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="*", default=["scenarios"], help="scenario files or folders [default: scenarios]")
    p.add_argument("-k", dest="keyword", help="only scenarios whose id or tags match this pytest -k expression")
    p.add_argument("-n", dest="workers", help="parallel workers (pytest-xdist), e.g. 2 or auto")
    p.add_argument("--shard", help="run the I-th of N slices of the suite, e.g. 1/3 (stable across machines)")
    p.add_argument("--report", type=Path, default=Path("scenario-report"),
                   help="folder for index.html and the per-scenario pages [default: scenario-report]")
    p.add_argument("--junitxml", type=Path, help="JUnit XML file [default: REPORT/junit.xml]")
    p.add_argument("--android-serial", action="append", default=[],
                   help="a phone for android scenarios (repeat for parallel workers)")
    p.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failing scenario")
    p.add_argument("-q", "--quiet", action="store_true", help="less pytest output")
    p.set_defaults(func=cmd_test)
    return p


def pytest_args(args: argparse.Namespace, runs: Path, junit: Path) -> list[str]:
    argv = [*map(str, args.paths), "-p", PLUGIN, "--scenario-output", str(runs), "--junitxml", str(junit),
            "-o", "junit_family=xunit2",
            # One scenario file with a mistake is reported; the others still run.
            "--continue-on-collection-errors",
            # Warnings about pytest's own machinery say nothing about the scenarios: this process has
            # already imported the plugin (so pytest cannot rewrite its asserts), and pytest-benchmark,
            # where installed, warns that xdist turns it off.
            "-W", "ignore::pytest.PytestAssertRewriteWarning", "-p", "no:benchmark"]
    if args.keyword:
        argv += ["-k", args.keyword]
    if args.workers:
        argv += ["-n", str(args.workers)]
    if args.shard:
        argv += ["--shard", args.shard]
    for serial in args.android_serial:
        argv += ["--android-serial", serial]
    if args.exitfirst:
        argv.append("-x")
    if args.quiet:
        argv.append("-q")
    return argv


@_friendly
def cmd_test(args: argparse.Namespace) -> int:
    import pytest

    from autoagent.scenarios.runner import read_results
    from autoagent.scenarios.suite_report import write_report

    from autoagent.scenarios.plugin import parse_shard

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise CommandUsageError(f"no such file or folder: {', '.join(map(str, missing))}")
    if args.shard:
        try:
            parse_shard(args.shard)
        except pytest.UsageError as err:
            raise CommandUsageError(str(err)) from None
    if args.workers:
        try:
            import xdist  # noqa: F401
        except ImportError:
            raise CommandUsageError("-n needs pytest-xdist (pip install pytest-xdist)") from None
    report_dir: Path = args.report
    runs = report_dir / "runs"
    shutil.rmtree(runs, ignore_errors=True)  # results of an earlier run must not show up in this report
    junit = args.junitxml or report_dir / "junit.xml"
    code = int(pytest.main(pytest_args(args, runs, junit)))
    results = read_results(runs)
    if results:
        index = write_report(results, report_dir)
        print(f"report: {index}")
    if junit.is_file():  # pytest may have stopped before writing it
        print(f"junit: {junit}")
    return code


# ---------------------------------------------------------------------------- record


def add_record_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "record", help="record a run as a trace: you type the actions, or an engine drives",
        description="Record a run as a trace (screens, hierarchies, actions) for replay in tests. "
                    "Without --engine you drive: type tap \"Label\", tap id=ID, tap X,Y, type TEXT, "
                    "swipe up, launch APP, back, home, done.",
        epilog='examples:\n  autoagent record "Add a phone case to the cart" --device emulator --seed 0\n'
               '  autoagent record "Buy a mug" --engine openai --base-url http://localhost:8000/v1',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("task", help="what the recording does, in plain words (stored in the trace)")
    p.add_argument("--device", default="emulator", help="emulator, android[:SERIAL] or browser[:URL] [default: emulator]")
    p.add_argument("--seed", type=seed, default=0, help="emulator seed [default: 0]")
    p.add_argument("--mobile", action="store_true", help="browser: phone-sized viewport")
    p.add_argument("--engine", choices=["openai", "local", "replay"], help="let a policy drive instead of you")
    p.add_argument("--base-url")
    p.add_argument("--model")
    p.add_argument("--model-path", type=Path)
    p.add_argument("--trace", type=Path, help="replay engine: the trace to replay")
    p.add_argument("--script", type=Path, help="read your commands from this file instead of the terminal")
    p.add_argument("--max-steps", type=int, default=50)
    p.add_argument("--traces", type=Path, default=Path("traces"), help="where the trace goes [default: ./traces]")
    p.set_defaults(func=cmd_record)
    return p


@_friendly
def cmd_record(args: argparse.Namespace) -> int:
    from autoagent.agent import Agent
    from autoagent.device import DeviceError
    from autoagent.policy.base import PolicyError
    from autoagent.safety import NoHuman, ScreenGuard, TerminalHuman
    from autoagent.scenarios.recorder import PromptPolicy
    from autoagent.targets import open_device

    if not args.task.strip():
        raise CommandUsageError("say what the recording does (the task)")
    try:
        device = open_device(args.device, seed=args.seed, mobile=args.mobile)
    except (ValueError, DeviceError) as err:
        raise CommandUsageError(str(err)) from None
    script = None
    try:
        if args.engine:
            from autoagent.policy.factory import make_policy

            try:
                policy = make_policy(args.engine, base_url=args.base_url, model=args.model,
                                     model_path=args.model_path, trace=args.trace)
            except (ValueError, PolicyError) as err:
                raise CommandUsageError(str(err)) from None
        else:
            if args.script:
                try:
                    script = open(args.script, encoding="utf-8")
                except OSError as err:
                    raise CommandUsageError(f"cannot read {args.script}: {err.strerror}") from None
            policy = PromptPolicy(device, stdin=script or sys.stdin)
        interactive = script is None and sys.stdin.isatty()
        human = TerminalHuman() if interactive else NoHuman()
        agent = Agent(device=device, policy=policy, guard=ScreenGuard(), human=human, max_steps=args.max_steps,
                      trace_root=args.traces)
        result = agent.run(args.task)
        policy.close()
    finally:
        if script is not None:
            script.close()
        device.close()
    print(f"{result.status.value}: {result.message}".rstrip(": "))
    print(f"trace: {result.trace_dir}")
    return 0 if result.ok else 1


# ---------------------------------------------------------------------------- standalone


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autoagent")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_test_parser(sub)
    add_record_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
