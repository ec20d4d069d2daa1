"""The console stand-in's AQL engine: compile_query(text, columns) -> CompiledQuery, or AqlError.

See docs/aql-subset.md for the supported subset and every semantic decision.
"""
from .errors import AqlError
from .query import CompiledQuery, compile_query

__all__ = ["AqlError", "CompiledQuery", "compile_query"]
