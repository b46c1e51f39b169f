"""Errors that reach the user as one line and exit code 2 (see cli.py)."""


class TinygenError(Exception):
    """A problem with the user's input or environment, reported as one line."""

    exit_code = 2


class ModelFormatError(TinygenError):
    """The file is not a readable .tflite flatbuffer."""


class UnsupportedError(TinygenError):
    """The model uses an operator, type or shape tinygen does not support."""


class ToolchainError(TinygenError):
    """A compiler or build step failed."""


class MismatchError(TinygenError):
    """Generated code and the reference disagree."""

    exit_code = 1


class BudgetError(TinygenError):
    """The model does not fit the board."""

    exit_code = 1


class FileSystemError(TinygenError):
    """The user's file system refused an operation (disk full, read-only, not a folder...)."""


class GuardError(TinygenError):
    """An operator wrote outside its buffers (arena guard build): a bug in a kernel or the plan."""

    exit_code = 1


class EmulatorError(TinygenError):
    """The firmware faulted or ran away under the emulator."""
