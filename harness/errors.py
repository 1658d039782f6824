"""Errors the CLI turns into a one-line message and exit status 2 (bad input, never a crash)."""


class HarnessError(Exception):
    """Base class: the message names the file, field or flag at fault."""


class ConfigError(HarnessError):
    """The configuration (file, key or value) is invalid; lists every problem found."""


class DataError(HarnessError):
    """A problem source or file cannot be used."""


class RunDirError(HarnessError):
    """The run directory is in a state that the command refuses to touch."""
