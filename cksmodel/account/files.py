"""Bundle files: reading one JSON file of an account bundle, with positions.

:func:`read_file` reads and parses a file (bundle files may be far larger than
policy documents) and :class:`BundleFile` reads typed values out of it, so that
every reader of :mod:`cksmodel.account` reports a wrong shape as a
:class:`~cksmodel.account.model.BundleError` naming the file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cksmodel.account.model import BundleError
from cksmodel.errors import InputError
from cksmodel.policy.ir import Policy, PolicyType
from cksmodel.policy.jsontext import MAX_DOCUMENT_BYTES, PDict, PList, decode_document, parse_json
from cksmodel.policy.parse import load_policy
from cksmodel.source import Span, read_regular_file

MAX_BUNDLE_FILE_BYTES = 256 * 1024 * 1024
"""Largest bundle file read; IAM details of large accounts run to tens of MB."""


def describe(value: Any) -> str:
    """A JSON value as an error message names it (``an object``, ``the string 'x'``)."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return f"the string {value[:40]!r}" if isinstance(value, str) else type(value).__name__


def file_start(source: str) -> Span:
    """The span naming a file or folder as a whole (line 1, column 1)."""
    return Span(source=source, line=1, column=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class BundleFile:
    """One parsed bundle file; builds errors at positions inside it."""

    source: str
    value: Any

    def span(self, container: Any, key: str | int | None = None) -> Span:
        pos = None
        if isinstance(container, PDict):
            pos = container.value_pos.get(key) if isinstance(key, str) else None
            pos = pos or container.pos
        elif isinstance(container, PList):
            pos = container.pos
            if isinstance(key, int) and 0 <= key < len(container.item_pos):
                pos = container.item_pos[key]
        if pos is None:
            return file_start(self.source)
        return Span(
            source=self.source, line=pos[0], column=pos[1], end_line=pos[2], end_column=pos[3]
        )

    def fail(
        self, message: str, container: Any, key: str | int | None = None, *, code: str | None = None
    ) -> BundleError:
        return BundleError(message, span=self.span(container, key), code=code)

    def root_obj(self, what: str) -> PDict:
        if not isinstance(self.value, PDict):
            raise self.fail(f"expected {what} (a JSON object), not {describe(self.value)}", None)
        return self.value

    def obj(self, container: PDict, key: str, what: str) -> PDict:
        value = container.get(key)
        if key not in container:
            raise self.fail(f"{what} has no {key!r}; expected an object there", container)
        if not isinstance(value, PDict):
            raise self.fail(f"{key} must be an object, not {describe(value)}", container, key)
        return value

    def opt_obj(self, container: PDict, key: str) -> PDict | None:
        if container.get(key) is None:
            return None
        return self.obj(container, key, key)

    def items(self, container: PDict, key: str, what: str, *, required: bool = True) -> PList:
        value = container.get(key)
        if value is None and not required:
            empty = PList()
            empty.pos = container.pos
            return empty
        if key not in container:
            raise self.fail(f"{what} has no {key!r}; expected a list there", container)
        if not isinstance(value, PList):
            raise self.fail(f"{key} must be a list, not {describe(value)}", container, key)
        return value

    def objects(
        self, container: PDict, key: str, what: str, *, required: bool = True
    ) -> Iterator[tuple[int, PDict]]:
        """The items of a list of objects, each checked to be an object."""
        items = self.items(container, key, what, required=required)
        for index, item in enumerate(items):
            if not isinstance(item, PDict):
                raise self.fail(
                    f"each item of {key} must be an object, not {describe(item)}", items, index
                )
            yield index, item

    def text(self, container: PDict, key: str, what: str) -> str:
        value = container.get(key)
        if key not in container:
            raise self.fail(f"{what} has no {key!r}; expected a string there", container)
        if not isinstance(value, str) or not value:
            raise self.fail(
                f"{key} must be a non-empty string, not {describe(value)}", container, key
            )
        return value

    def opt_text(self, container: PDict, key: str) -> str | None:
        if container.get(key) is None:
            return None
        return self.text(container, key, key)

    def texts(self, container: PDict, key: str) -> tuple[str, ...]:
        items = self.items(container, key, key, required=False)
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                raise self.fail(
                    f"each item of {key} must be a non-empty string, not {describe(item)}",
                    items,
                    index,
                )
        return tuple(items)

    def not_truncated(self, container: PDict, flag: str, command: str) -> None:
        if container.get(flag) is True:
            raise self.fail(
                f"the output is truncated ({flag} is true); run `{command}` "
                "without --max-items or --no-paginate so the AWS CLI fetches every page",
                container,
                flag,
            )

    def policy(self, container: PDict, key: str, policy_type: PolicyType, name: str) -> Policy:
        """Build the policy document held at ``container[key]``."""
        if key not in container:
            raise self.fail(f"{name}: no {key!r}; expected a policy document there", container)
        value = container[key]
        if isinstance(value, PDict):
            source = self.source
        elif isinstance(value, str):
            source = f"{self.span(container, key)} {name} (embedded document)"
        else:
            raise self.fail(
                f"{name}: {key} must be a policy document (an object, or a string holding "
                f"one, URL-encoded or not), not {describe(value)}",
                container,
                key,
            )
        try:
            return load_policy(value, policy_type=policy_type, name=name, source=source)
        except InputError as exc:
            raise BundleError(f"{name}: {exc.message}", span=exc.span, code=exc.code) from None


def _parse_large(text: str, source: str) -> Any:
    """``parse_json`` for bundle files over its 1 MiB document limit.

    Private stand-in until :func:`cksmodel.policy.jsontext.parse_json` takes a limit.
    """
    from lark.exceptions import UnexpectedInput

    from cksmodel.policy import jsontext

    jsontext._check_depth(text, source)
    try:
        node: Any = jsontext._parser().parse(text)
    except UnexpectedInput as exc:
        raise jsontext._syntax_error(exc, text, source) from None
    except jsontext._PositionedError as exc:
        line, column, end_line, end_column = exc.pos
        span = Span(
            source=source, line=line, column=column, end_line=end_line, end_column=end_column
        )
        raise BundleError(exc.message, span=span, code=exc.code) from None
    return node[0]


def read_file(path: Path) -> BundleFile:
    """Read and parse one bundle file; every problem becomes a :class:`BundleError`."""
    source = str(path)
    try:
        data = read_regular_file(path, limit=MAX_BUNDLE_FILE_BYTES)
    except FileNotFoundError:
        raise BundleError(f"{source} is missing", span=file_start(source)) from None
    except OSError as exc:
        raise BundleError(
            f"cannot read {source}: {exc.strerror}", span=file_start(source), code="E_IO"
        ) from None
    try:
        text = decode_document(data, source, limit=MAX_BUNDLE_FILE_BYTES)
        value = (
            parse_json(text, source)
            if len(text) <= MAX_DOCUMENT_BYTES
            else _parse_large(text, source)
        )
    except BundleError:
        raise
    except InputError as exc:
        raise BundleError(exc.message, span=exc.span, code=exc.code) from None
    return BundleFile(source=source, value=value)


def missing_file(path: Path, message: str) -> BundleError:
    """The error for a required bundle file that is missing; ``message`` says what to do."""
    return BundleError(f"{path} is missing: {message}", span=file_start(str(path)))
