"""LiveCodeBench's packed test field, decoded without running any of its code.

`private_test_cases` is either JSON text or `base64(zlib(pickle(JSON text)))`. LiveCodeBench
itself calls `pickle.loads` on it, which runs whatever the bytes name: a planted `__reduce__`
is a shell command on the judging host. Here the unpickler refuses every global (the data
holds one plain string, which needs none), so no callable can be built and nothing runs;
the inflated size is capped before pickle sees it, so a zlib bomb costs at most the cap.

Covered: code execution through pickle (GLOBAL, STACK_GLOBAL, INST, OBJ, EXT, REDUCE all need
a class or function, and `find_class` refuses them; persistent ids are refused by the base
class), decompression bombs, a payload that is anything but a string. Not covered: a valid
payload whose JSON is itself enormous but under the cap (the cap bounds it).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import zlib

MAX_INFLATED_BYTES = 256 * 1024 * 1024  # what one row's tests may cost in memory; a bomb stops here


class DecodeError(ValueError):
    """The field is neither JSON nor the packed form, or the packed form is unsafe; the message says which."""


class _NoGlobals(pickle.Unpickler):
    """An unpickler that can rebuild plain data only: every class or function lookup is refused."""

    def find_class(self, module: str, name: str):  # noqa: D102 - the class docstring says it
        raise pickle.UnpicklingError(f"refused global {module}.{name}")


def inflate(data: bytes, limit: int | None = None) -> bytes:
    """zlib-decompress at most `limit` bytes (default `MAX_INFLATED_BYTES`); more, or a truncated stream, is a `DecodeError`."""
    limit = MAX_INFLATED_BYTES if limit is None else limit
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise DecodeError(f"not zlib data ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise DecodeError(f"inflates past {limit} bytes")
    if not inflater.eof:
        raise DecodeError("truncated zlib data")
    return out


def unpickle_string(data: bytes) -> str:
    """A pickled `str`, loaded with every global refused; any other payload is a `DecodeError`."""
    try:
        value = _NoGlobals(io.BytesIO(data)).load()
    except pickle.UnpicklingError as exc:
        raise DecodeError(f"unsafe or broken pickle ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - a malformed stream raises all sorts (EOFError, ValueError, ...)
        raise DecodeError(f"broken pickle ({type(exc).__name__})") from None
    if not isinstance(value, str):
        raise DecodeError(f"pickle holds {type(value).__name__}, not a string")
    return value


def unpack(text: str, limit: int | None = None) -> str:
    """The JSON text inside `base64(zlib(pickle(json_text)))`."""
    try:
        packed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError("not base64") from None
    return unpickle_string(inflate(packed, limit))


def decode_tests(value: object, limit: int | None = None) -> list:
    """A test-case field as a JSON list: JSON text as is, else the packed form unpacked."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise DecodeError(f"expected text, got {type(value).__name__}")
    text = value if value.lstrip().startswith("[") else unpack(value, limit)
    try:
        tests = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(tests, list):
        raise DecodeError(f"JSON holds {type(tests).__name__}, not a list")
    return tests
