"""The intermediate representation: dims, the op table, the node, the builders.

Importing the package imports the builders' facade (ir/build.py), which defines every
op's record: the op table is complete whenever any module of `ir` is in use.
"""

from . import build  # noqa: F401
