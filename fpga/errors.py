"""User-facing errors: printed as one line on stderr, no traceback unless --debug."""


class FpgaError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2


class MismatchError(FpgaError):
    """A bit-exactness check found differences."""

    exit_code = 1


class ToolMissingError(FpgaError):
    """A vendor tool (vivado, vitis_hls) is not on PATH."""

    exit_code = 3
