"""The web front end (``autoagent serve``): see :mod:`autoagent.web.server`."""

from autoagent.web.command import add_serve_parser, cmd_serve
from autoagent.web.server import Served, WebApp, make_app

__all__ = ["Served", "WebApp", "add_serve_parser", "cmd_serve", "make_app"]
