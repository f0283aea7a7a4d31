"""XML: streamed with lxml (DTDs and entities refused), with the end-of-document check; the XML parsers' parse loop;
small element helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

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


_XML_REFUSED = (
    "XML with a DTD, entity declarations or external references is refused "
    "(entity expansion / external entity protection)"
)


def _lxml_options() -> dict:
    """libxml2 with every door closed: no entity substitution, no DTD loading, no network; comments and
    processing instructions dropped so a child is always an element. A document type declaration is refused
    outright by _xml_root_check (what defusedxml did), whatever it declares."""
    return {
        "resolve_entities": False,
        "load_dtd": False,
        "no_network": True,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
    }


def _xml_root_check(path: Path, *, roots: set[str], label: str) -> str:
    """The root element's local name, read from the first start event only (libxml2 parses one buffer): a DTD
    or entity declaration, or a root that is not one of ``roots``, is refused before the document is read."""
    from lxml import etree

    try:
        for _event, elem in etree.iterparse(str(path), events=("start",), **_lxml_options()):
            docinfo = elem.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
                raise ParseError(f"{path.name}: {_XML_REFUSED}: DOCTYPE")
            root = local_name(elem.tag)
            if root not in roots:
                raise ParseError(
                    f"{path.name}: not a {label} file: the root element is <{root}>, "
                    f"expected <{'> or <'.join(sorted(roots))}>"
                )
            return root
    except etree.XMLSyntaxError as exc:
        if "Entity" in str(exc) or "DOCTYPE" in str(exc):
            raise ParseError(f"{path.name}: {_XML_REFUSED}: {exc}") from exc
        raise ParseError(f"{path.name}: malformed or truncated XML ({exc})") from exc
    raise ParseError(f"{path.name}: malformed or truncated XML (no root element)")


def iter_xml(path: Path, tags: set[str], *, roots: set[str], label: str) -> Iterator[tuple[str, object]]:
    """Yield (local name, element) for each element whose local name is in ``tags``, streaming.

    lxml's iterparse (libxml2, C): only the wanted tags come back to Python, every other element is built in
    C, which is what makes a large XML file cheap (the ElementTree loop saw every start and end event in
    Python). Safety as before with defusedxml: a DTD, entity declarations or external references are refused
    (_xml_root_check), entities are never substituted, nothing is fetched. The root element's local name must be
    one of ``roots``, and the file must end with its closing tag (xml_end_check), both before any element is
    yielded. Each yielded element is cleared and detached from its parent after the consumer has used it (and
    so are the elements before it), so memory does not grow with the file.
    """
    from lxml import etree

    sniff_file(path, kind="xml")
    root = _xml_root_check(path, roots=roots, label=label)
    xml_end_check(path, root)
    wanted = [f"{{*}}{tag}" for tag in sorted(tags)]
    try:
        for _event, elem in etree.iterparse(str(path), events=("end",), tag=wanted, **_lxml_options()):
            yield local_name(elem.tag), elem
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:  # elements the tag filter skipped (headers, lookups)
                    del parent[0]
                parent.remove(elem)
    except ParseError:
        raise
    except etree.XMLSyntaxError as exc:
        if "Entity" in str(exc):
            raise ParseError(f"{path.name}: {_XML_REFUSED}: {exc}") from exc
        raise ParseError(f"{path.name}: malformed or truncated XML ({exc})") from exc
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc


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
