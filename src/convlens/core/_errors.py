"""Errors and warnings that ConvLens raises on purpose.

Every error a user can cause carries a message that says what to do next; the command line prints
it on one line and exits with a non-zero code.
"""

from __future__ import annotations


class ConvLensError(Exception):
    """Base class of every error ConvLens raises on purpose."""


class UserInputError(ConvLensError, ValueError):
    """Bad input from the user: a wrong path, an unknown name, a malformed file."""


class NotFoundError(UserInputError, LookupError):
    """A named run, layer, epoch, class or upload is missing; the message lists what exists."""


class UnavailableError(UserInputError):
    """The request is well formed but this run cannot answer it (no checkpoint, no model spec)."""


class RunFormatError(ConvLensError):
    """A folder is not a ConvLens run, or its manifest cannot be read."""


class MissingExtraError(ConvLensError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


class ConvLensWarning(UserWarning):
    """Warnings ConvLens issues on purpose (the test suite turns them into errors)."""


def missing_extra(package: str, extra: str) -> MissingExtraError:
    """Build the error raised when an optional package is missing.

    Args:
        package: The importable name that failed.
        extra: The name of the convlens extra that installs it.
    """
    return MissingExtraError(
        f"this needs the optional package '{package}': install it with "
        f"pip install 'convlens[{extra}]'"
    )
