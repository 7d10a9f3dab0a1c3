"""`from schemadiff import op` in a revision script: op.create_table(...), op.add_column(...), ...

Each name resolves to the method of the Operations object running the script right now.
"""

from .operations import current


def __getattr__(name: str):
    return getattr(current(), name)
