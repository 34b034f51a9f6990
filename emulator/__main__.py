"""``autoagent emulator`` (also ``python -m emulator``): run the virtual phone from a shell."""

from __future__ import annotations

import argparse
import sys

from autoagent.argtypes import seed


def _parser() -> argparse.ArgumentParser:
    # The command people type (``python -m emulator`` runs the same code).
    parser = argparse.ArgumentParser(prog="autoagent emulator",
                                     description="autoagent's in-process virtual Android phone")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", add_help=False,
                   help="serve the phone as an adb device that uiautomator2 can drive (see: serve --help)")
    shot = sub.add_parser("screenshot", help="save a screenshot (and hierarchy XML) of an app's first screen")
    shot.add_argument("--app", default="", help="app to launch first, e.g. Shop or 商城")
    shot.add_argument("--seed", type=seed, default=0)
    shot.add_argument("--out", default="screen.png")
    sub.add_parser("apps", help="list the installed apps")
    return parser


def _serve(argv: list[str]) -> int:
    """The server lives in emulator.wire; its own parser handles the options."""
    try:
        from emulator.wire import server
    except ImportError as err:
        print(f"error: the adb/uiautomator2 server is not available in this installation ({err})", file=sys.stderr)
        return 2
    serve_main = getattr(server, "serve_main", None)
    if serve_main is None:
        print("error: emulator.wire.server has no serve_main(argv); cannot start the server", file=sys.stderr)
        return 2
    return int(serve_main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "serve":
        return _serve(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    argv_rest: list[str] = []
    if args.command is None:
        parser.print_help()
        return 0
    from autoagent.device import UnknownApp
    from emulator import Phone

    if args.command == "apps":
        phone = Phone()
        for package in phone.packages():
            app = phone.app(package)
            print(f"{package:30} {app.label} {app.label_zh}")
        return 0
    if args.command == "screenshot":
        phone = Phone(seed=args.seed)
        try:
            if args.app:
                phone.launch(args.app)
        except UnknownApp as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        phone.screenshot().save(args.out)
        xml_path = args.out.rsplit(".", 1)[0] + ".xml"
        with open(xml_path, "w", encoding="utf-8") as fh:
            fh.write(phone.hierarchy_xml())
        print(f"wrote {args.out} and {xml_path}")
        return 0
    return _serve(argv_rest)


if __name__ == "__main__":
    sys.exit(main())
