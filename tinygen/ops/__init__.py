"""Operator definitions. Every module in this package registers one or more OpDef subclasses."""

from .base import OpDef, get_op_def, op_def, register, registry, unsupported

__all__ = ["OpDef", "get_op_def", "op_def", "register", "registry", "unsupported"]
