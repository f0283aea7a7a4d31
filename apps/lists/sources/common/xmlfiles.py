"""XML: defused, streaming, with the end-of-document check; the XML parsers' parse loop; small element helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError as XMLParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .entry import ParsedEntry, merge_repeats
from .errors import ParseError
from .files import read_tail, single_path, sniff_file
from .text import clean


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def xml_namespace(elem) -> str:
    """The ``{namespace}`` prefix of an element's tag ('' when it has none): the ``ns`` of xml_text / xml_findall."""
    tag = elem.tag
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


_XML_TAIL_BYTES = 4096
_XML_TRAILER = re.compile(rb"(?:\s|<!--(?:(?!-->).)*-->|<\?(?:(?!\?>).)*\?>)*\Z", re.DOTALL)


def xml_end_check(path: Path, root: str) -> None:
    """Refuse a file that does not end with the closing tag of its root element (``</sdnList>``,
    ``</ns:export>``), reading only its tail.

    Why before parsing: a download without Content-Length that stopped early is otherwise found only when the
    streaming parse reaches the end, after every entry was parsed and stored; the tail tells at once. The
    parse still checks the whole document (an unclosed element is a ParseError there too). Whitespace,
    comments and processing instructions may follow the root, as XML allows.
    """
    tail = read_tail(path, _XML_TAIL_BYTES)
    closing = re.compile(rb"</(?:[\w.-]+:)?" + re.escape(root.encode()) + rb"\s*>")
    last = None
    for last in closing.finditer(tail):  # noqa: B007 - we want the last match
        pass
    if last is None or not _XML_TRAILER.match(tail, last.end()):
        raise ParseError(
            f"{path.name}: truncated XML: the file does not end with the closing </{root}> tag of its root element"
        )


def iter_xml(path: Path, tags: set[str], *, roots: set[str], label: str) -> Iterator[tuple[str, object]]:
    """Yield (local name, element) for each element whose local name is in ``tags``, streaming.

    defusedxml forbids DTDs, entity declarations and external references (billion laughs, XXE). Each yielded
    element is cleared and detached from its parent after the consumer has used it, so memory does not grow
    with the file. The root element's local name must be one of ``roots``.
    """
    sniff_file(path, kind="xml")
    stack: list = []
    try:
        for event, elem in iterparse(
            str(path), events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            if event == "start":
                if not stack:
                    root = local_name(elem.tag)
                    if root not in roots:
                        raise ParseError(
                            f"{path.name}: not a {label} file: the root element is <{root}>, "
                            f"expected <{'> or <'.join(sorted(roots))}>"
                        )
                    xml_end_check(path, root)
                stack.append(elem)
                continue
            stack.pop()
            name = local_name(elem.tag)
            if name in tags:
                yield name, elem
                elem.clear()
                if stack:
                    stack[-1].remove(elem)
    except ParseError:
        raise
    except DefusedXmlException as exc:
        raise ParseError(
            f"{path.name}: XML with a DTD, entity declarations or external references is refused "
            f"(entity expansion / external entity protection): {type(exc).__name__}"
        ) from exc
    except XMLParseError as exc:
        raise ParseError(f"{path.name}: malformed or truncated XML ({exc})") from exc
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    if stack:
        raise ParseError(f"{path.name}: truncated XML (unclosed <{local_name(stack[0].tag)}>)")


def xml_entries(
    paths: list[Path],
    fmt: str,
    build: Callable[[str, object, Path], ParsedEntry | None],
    *,
    tags: set[str],
    roots: set[str],
    label: str,
) -> Iterator[ParsedEntry]:
    """The ``parse`` of an XML format: its one file (single_path), the elements named in ``tags`` streamed
    (iter_xml), each made an entry by ``build(local name, element, path)``, repeated records merged
    (merge_repeats). ``build`` returns None for an element that only serves later ones (a lookup table, the
    publication date); it must not keep the element, which is cleared once ``build`` returns."""
    path = single_path(paths, fmt)
    built = (build(name, elem, path) for name, elem in iter_xml(path, tags, roots=roots, label=label))
    return merge_repeats(entry for entry in built if entry is not None)


def xml_text(elem, path: str = "", ns: str = "") -> str:
    """Stripped text of a child (path with local names, ``ns`` prefix ``{uri}`` added), or ''."""
    if elem is None:
        return ""
    if path:
        if ns:
            path = "/".join(f"{ns}{p}" for p in path.split("/"))
        elem = elem.find(path)
        if elem is None:
            return ""
    return clean(elem.text)


def xml_findall(elem, path: str, ns: str = "") -> list:
    if elem is None:
        return []
    if ns:
        path = "/".join(p if p in (".", "..") else f"{ns}{p}" for p in path.split("/"))
    return elem.findall(path)
