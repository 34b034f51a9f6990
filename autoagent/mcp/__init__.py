"""``autoagent mcp``: the agent as a Model Context Protocol server (stdio, or streamable HTTP on
loopback), for desktop assistants and coding agents.

- :mod:`autoagent.mcp.relay`   work on a device's thread; its questions and progress, for the client
- :mod:`autoagent.mcp.devices` the devices the person allowed, one thread and one user at a time each
- :mod:`autoagent.mcp.server`  the tools: list devices, run a task, observe the screen, perform an action
- :mod:`autoagent.mcp.command` the command line

Every action a client asks for goes through :class:`autoagent.engine.StepEngine`, so through the
same guard as the agent's own; a confirmation is asked of the person through the client's
elicitation and is a no when the client cannot ask.
"""
