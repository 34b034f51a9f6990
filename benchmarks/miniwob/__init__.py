"""MiniWoB++ as an external benchmark: its HTML tasks served locally, solved by scripted
policies that read only the agent's observation, through the real agent loop.

The ``miniwob`` package (``pip install --no-deps miniwob==1.1.0``) is used for its HTML
files only; nothing of it is imported (it would need gymnasium and selenium).
"""
