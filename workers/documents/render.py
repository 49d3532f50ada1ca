"""Fill a Word template (docxtpl: Jinja inside Word) with a context and give back the .docx bytes.

A template is compiled once per file (docxtpl's own clean-up of Word's XML, then one Jinja template per
part that holds tags) and kept while the file is unchanged; each rendering then only runs Jinja, turns
line breaks into Word line breaks (docxtpl's ``resolve_listing``) and writes the zip. The other parts of
the package are copied as they are, with the template's zip entry dates, so the same data gives the same
bytes (and the same sha256).

Jinja always autoescapes here: an unescaped ``&`` or ``<`` in a Betreff would silently corrupt the .docx.
Characters that XML 1.0 forbids (control characters a paste from another program can bring) are dropped.

Every document is German and has its own title (the core properties, which LibreOffice carries into the
PDF's metadata): the templates' default language is set to de-DE when they are compiled (whatever language
the Word that last saved them used), and ``render`` writes the title it is given.
"""

from __future__ import annotations

import dataclasses
import io
import re
import threading
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]
from markupsafe import Markup

# Parts of a .docx in which the office may write Jinja tags.
_RENDERED_PART = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
# XML 1.0 forbids these; \t and \n stay (docxtpl turns them into a Word tab and line break).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_TAG = re.compile(r"\{[{%#]")
# docxtpl features whose work happens in steps this renderer does not run (fix_tables after Jinja): a
# template using them is refused instead of rendered wrong. See docs/documents.md.
_UNSUPPORTED = re.compile(r"\{%\s*(?:tc\b|(colspan|cellbg|vm|hm)\b)")
LANGUAGE = "de-DE"
_STYLES = "word/styles.xml"
_CORE = "docProps/core.xml"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC = "{http://purl.org/dc/elements/1.1/}"
# Children of w:rPr that come after w:lang in the schema's sequence.
_AFTER_LANG = {f"{_W}eastAsianLayout", f"{_W}specVanish", f"{_W}oMath"}


class TemplateError(Exception):
    """A template cannot be read or compiled (e.g. a Jinja tag the office broke while editing)."""


def clean_text(value: str) -> str:
    """User text as it may go into a .docx: Windows/Mac line ends become \\n, illegal characters go."""
    return _XML_ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _finalize(value: Any) -> Any:
    # Runs on every {{ … }} before escaping: None prints as nothing, text is cleaned.
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean_text(value)
    return value


ENVIRONMENT = jinja2.Environment(
    autoescape=True,
    finalize=_finalize,
    undefined=jinja2.StrictUndefined,  # a misspelt placeholder fails loudly instead of printing nothing
    keep_trailing_newline=True,
)


@dataclasses.dataclass(frozen=True)
class _Compiled:
    stamp: tuple[int, int]  # (mtime_ns, size) of the template file when it was compiled
    members: list[tuple[zipfile.ZipInfo, bytes]]
    templates: dict[str, jinja2.Template]


_cache: dict[Path, _Compiled] = {}
_cache_lock = threading.Lock()


def _first_child(parent: Any, name: str) -> Any:
    """The w:``name`` child of ``parent``, created as its first child when missing."""
    child = parent.find(f"{_W}{name}")
    if child is None:
        child = etree.Element(f"{_W}{name}")
        parent.insert(0, child)
    return child


def _german_by_default(styles: bytes) -> bytes:
    """styles.xml with German as the document's default language (w:docDefaults/w:rPrDefault/w:rPr/w:lang):
    LibreOffice writes it as the PDF's /Lang, screen readers pick their pronunciation by it."""
    root = etree.fromstring(styles)
    properties = _first_child(_first_child(_first_child(root, "docDefaults"), "rPrDefault"), "rPr")
    lang = properties.find(f"{_W}lang")
    if lang is None:
        lang = etree.Element(f"{_W}lang")
        later = [n for n, child in enumerate(properties) if child.tag in _AFTER_LANG]
        properties.insert(later[0] if later else len(properties), lang)
    lang.set(f"{_W}val", LANGUAGE)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _with_title(core: bytes, title: str) -> bytes:
    """The core properties (docProps/core.xml) with this document's title and language."""
    root = etree.fromstring(core)
    for name, value in (("title", clean_text(title)), ("language", LANGUAGE)):
        element = root.find(f"{_DC}{name}")
        if element is None:
            element = etree.SubElement(root, f"{_DC}{name}")
        element.text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _compile(path: Path) -> _Compiled:
    stat = path.stat()
    helper = DocxTemplate(str(path))
    members: list[tuple[zipfile.ZipInfo, bytes]] = []
    templates: dict[str, jinja2.Template] = {}
    try:
        with zipfile.ZipFile(path) as package:
            for info in package.infolist():
                data = package.read(info)
                if info.filename == _STYLES:
                    data = _german_by_default(data)
                members.append((info, data))
                if _RENDERED_PART.match(info.filename):
                    xml = data.decode("utf-8")
                    unsupported = _UNSUPPORTED.search(xml)
                    if unsupported:
                        raise TemplateError(
                            f"{path.name}: the docxtpl tag {unsupported.group(0)!r} is not supported here "
                            "(table column loops, colspan, cellbg, vm, hm; see docs/documents.md)"
                        )
                    if _TAG.search(xml):
                        # The same preparation docxtpl does before Jinja sees the XML.
                        patched = re.sub(r"<w:p([ >])", r"\n<w:p\1", helper.patch_xml(xml))
                        templates[info.filename] = ENVIRONMENT.from_string(patched)
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, etree.XMLSyntaxError) as exc:
        raise TemplateError(f"{path.name} is not a readable .docx file: {exc}") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{path.name}: broken Jinja tag (line {exc.lineno}): {exc.message}") from exc
    if not templates:
        raise TemplateError(f"{path.name} contains no placeholders")
    missing = {_STYLES, _CORE} - {info.filename for info, _ in members}
    if missing:
        raise TemplateError(f"{path.name} lacks {', '.join(sorted(missing))} (save it again in Word)")
    return _Compiled((stat.st_mtime_ns, stat.st_size), members, templates)


def compiled(path: Path) -> _Compiled:
    """The compiled template, recompiled when the office saved a new version of the file."""
    path = path.resolve()
    stat = path.stat()
    with _cache_lock:
        entry = _cache.get(path)
        if entry is None or entry.stamp != (stat.st_mtime_ns, stat.st_size):
            entry = _cache[path] = _compile(path)
    return entry


def _namespace(context: Any) -> Mapping[str, Any]:
    if dataclasses.is_dataclass(context) and not isinstance(context, type):
        return {field.name: getattr(context, field.name) for field in dataclasses.fields(context)}
    if isinstance(context, Mapping):
        return context
    raise TypeError(f"a context must be a dataclass instance or a mapping, not {type(context).__name__}")


def render(template_path: Path, context: Any, *, title: str | None = None) -> bytes:
    """The .docx bytes of ``template_path`` filled with ``context`` (a dataclass or a mapping), titled
    ``title`` (None: the template's own title)."""
    template = compiled(template_path)
    namespace = _namespace(context)
    helper = DocxTemplate(str(template_path))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in template.members:
            jinja_template = template.templates.get(info.filename)
            if jinja_template is not None:
                try:
                    xml = jinja_template.render(namespace)
                except jinja2.UndefinedError as exc:
                    raise TemplateError(f"{template_path.name}: {exc.message}") from exc
                xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
                xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
                data = helper.resolve_listing(xml).encode("utf-8")
            elif info.filename == _CORE and title is not None:
                data = _with_title(data, title)
            package.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
