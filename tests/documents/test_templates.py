"""The Word templates: reproducible from scripts/make_templates.py, rendered like docxtpl renders them,
autoescaped, and a broken or misspelt tag is a clear error."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import os
import re
import time
from pathlib import Path
from types import ModuleType

import pytest
from docx import Document
from docx.oxml.ns import qn
from docxtpl import DocxTemplate  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from tests.documents.conftest import NOW, Wetzlar, header_text, read_docx, rows, texts
from workers.documents import DocumentKind
from workers.documents.contexts import (
    VorlageContext,
    extract_context,
    invitation_context,
    minutes_context,
    vorlage_context,
)
from workers.documents.generate import TEMPLATE_FILES, template_path
from workers.documents.render import ENVIRONMENT, TemplateError, render

ROOT = Path(__file__).resolve().parents[2]


def make_templates() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_templates", ROOT / "scripts" / "make_templates.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _contexts(s: Session, wetzlar: Wetzlar) -> dict[DocumentKind, object]:
    return {
        DocumentKind.VORLAGE: vorlage_context(s, wetzlar.paper_id),
        DocumentKind.INVITATION: invitation_context(s, wetzlar.meetings["magistrat"], NOW),
        DocumentKind.MINUTES: minutes_context(s, wetzlar.meetings["stvv"]),
        DocumentKind.RESOLUTION_EXTRACT: extract_context(s, wetzlar.items["stvv"], NOW),
    }


def _rendered_text(content: bytes) -> str:
    doc = read_docx(content)
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([*texts(doc), *cells, header_text(doc)])


def test_every_committed_template_renders_with_real_data_and_leaves_no_tag(wetzlar: Wetzlar) -> None:
    """What CI checks of the templates: they render. (Whether they still equal the script's output is a
    developer's question, scripts/make_templates.py --check: the office edits them in Word.)"""
    assert sorted(p.name for p in (ROOT / "templates_docx").glob("*.docx")) == sorted(TEMPLATE_FILES.values())
    with wetzlar.db.session() as s:
        for kind, context in _contexts(s, wetzlar).items():
            text = _rendered_text(render(template_path(kind), context))
            assert "{{" not in text, kind
            assert "{%" not in text, kind
            assert "Wetzlar" in text, kind


def test_a_template_edited_in_word_still_passes_the_ci_checks(
    wetzlar: Wetzlar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in TEMPLATE_FILES.values():
        doc = Document(str(ROOT / "templates_docx" / name))
        doc.add_paragraph("Ein Absatz, in Word ergänzt")
        doc.save(str(tmp_path / name))
    monkeypatch.setenv("GREMIENLAUF_TEMPLATES_DIR", str(tmp_path))
    with wetzlar.db.session() as s:
        for kind, context in _contexts(s, wetzlar).items():
            assert "Ein Absatz, in Word ergänzt" in texts(read_docx(render(template_path(kind), context)))
    # CI (scripts/test) does not compare the templates with the script's output.
    assert "make_templates.py --check" not in (ROOT / "scripts" / "test").read_text()


def test_the_check_notices_a_template_edited_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = make_templates()
    monkeypatch.setattr(module, "TEMPLATES", tmp_path)
    assert module.main([]) == 0
    doc = Document(str(tmp_path / "einladung.docx"))
    doc.add_paragraph("Ein Absatz aus Word")
    doc.save(str(tmp_path / "einladung.docx"))
    assert module.main(["--check"]) == 1


def test_no_template_uses_word_smart_quotes_inside_a_tag() -> None:
    for name in TEMPLATE_FILES.values():
        xml = DocxTemplate(str(ROOT / "templates_docx" / name)).get_docx().element.xml
        for tag in re.findall(r"\{[{%].*?[}%]\}", xml):
            assert not set(tag) & set("“”„‘’‚"), (name, tag)


def _docxtpl_texts(path: Path, context: object) -> tuple[list[str], list[list[list[str]]], str]:
    """What docxtpl's own render() makes of the same template and context, read back."""
    template = DocxTemplate(str(path))
    namespace = {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}  # type: ignore[arg-type]
    template.render(namespace, jinja_env=ENVIRONMENT)
    out = io.BytesIO()
    template.save(out)
    doc = read_docx(out.getvalue())
    return texts(doc), [rows(doc, i) for i in range(len(doc.tables))], header_text(doc)


def test_the_compiled_renderer_gives_what_docxtpl_itself_gives(wetzlar: Wetzlar) -> None:
    """All four templates, body, tables and page header."""
    with wetzlar.db.session() as s:
        cases = _contexts(s, wetzlar)
    assert set(cases) == set(DocumentKind)
    for kind, context in cases.items():
        ours = read_docx(render(template_path(kind), context))
        ours_texts = (texts(ours), [rows(ours, i) for i in range(len(ours.tables))], header_text(ours))
        assert ours_texts == _docxtpl_texts(template_path(kind), context), kind
        assert ours_texts[2] == "Stadt Wetzlar", kind


@pytest.mark.parametrize(
    "tag", ["{%tc for c in cols %}", "{% colspan 2 %}", "{% cellbg 'FF0000' %}", "{% vm %}", "{% hm %}"]
)
def test_docxtpl_table_tags_the_renderer_does_not_support_are_refused_by_name(
    tmp_path: Path, tag: str
) -> None:
    path = _template(tmp_path, "{{ subject }}", tag)
    with pytest.raises(TemplateError, match=r"vorlage\.docx: the docxtpl tag .* is not supported here"):
        render(path, {"subject": "x"})


def _template(tmp_path: Path, *lines: str) -> Path:
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    path = tmp_path / "vorlage.docx"
    doc.save(str(path))
    return path


def test_jinja_autoescapes_so_markup_in_data_stays_text(tmp_path: Path) -> None:
    path = _template(tmp_path, "Betreff: {{ subject }}")
    doc = read_docx(render(path, {"subject": "</w:t></w:r><w:r><w:t>eingeschleust & <b>"}))
    assert texts(doc) == ["Betreff: </w:t></w:r><w:r><w:t>eingeschleust & <b>"]


def _default_language(content: bytes) -> str:
    styles = read_docx(content).styles.element
    lang = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    return str(lang.get(qn("w:val")))


def test_a_document_is_german_and_has_its_own_title_whatever_the_template_said(tmp_path: Path) -> None:
    path = _template(tmp_path, "Betreff: {{ subject }}")
    assert _default_language(path.read_bytes()) == "en-US"  # python-docx's default, as an English Word saves
    content = render(path, {"subject": "x"}, title="Beschlussvorlage 1562/13 & <Anlage>")
    doc = read_docx(content)
    assert (doc.core_properties.title, doc.core_properties.language) == (
        "Beschlussvorlage 1562/13 & <Anlage>",
        "de-DE",
    )
    assert _default_language(content) == "de-DE"
    assert texts(doc) == ["Betreff: x"]


def test_every_committed_template_is_german() -> None:
    for name in TEMPLATE_FILES.values():
        template = (ROOT / "templates_docx" / name).read_bytes()
        assert _default_language(template) == "de-DE", name
        assert read_docx(template).core_properties.language == "de-DE", name


def test_a_misspelt_placeholder_is_an_error_naming_the_template(tmp_path: Path) -> None:
    path = _template(tmp_path, "{{ subjekt }}")
    with pytest.raises(TemplateError, match=r"vorlage\.docx: 'subjekt' is undefined"):
        render(path, {"subject": "x"})


def test_a_tag_broken_in_word_is_an_error_naming_the_template(tmp_path: Path) -> None:
    path = _template(tmp_path, "{%p if draft %}", "Entwurf")  # the endif went missing
    with pytest.raises(TemplateError, match=r"vorlage\.docx: broken Jinja tag"):
        render(path, {"draft": True})


def test_a_file_that_is_not_a_docx_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "vorlage.docx"
    path.write_bytes(b"not a zip")
    with pytest.raises(TemplateError, match=r"not a readable \.docx"):
        render(path, {})


def test_a_template_saved_again_by_the_office_is_used_from_then_on(tmp_path: Path) -> None:
    path = _template(tmp_path, "Alt: {{ subject }}")
    assert texts(read_docx(render(path, {"subject": "x"}))) == ["Alt: x"]
    replacement = _template(tmp_path / "..", "Neu: {{ subject }}")  # built elsewhere, then saved over it
    os.replace(replacement, path)
    later = time.time() + 5
    os.utime(path, (later, later))
    assert texts(read_docx(render(path, {"subject": "x"}))) == ["Neu: x"]


def test_the_templates_directory_can_be_set_for_the_office(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = make_templates()
    monkeypatch.setattr(module, "TEMPLATES", tmp_path)
    module.main([])
    edited = Document(str(tmp_path / "beschlussvorlage.docx"))
    edited.paragraphs[0].runs[0].text = "Vorlage der {{ municipality }}: {{ title }}"
    edited.save(str(tmp_path / "beschlussvorlage.docx"))
    monkeypatch.setenv("GREMIENLAUF_TEMPLATES_DIR", str(tmp_path))
    assert template_path(DocumentKind.VORLAGE) == tmp_path / "beschlussvorlage.docx"
    context = {f.name: getattr(SAMPLE, f.name) for f in dataclasses.fields(SAMPLE)}
    assert texts(read_docx(render(template_path(DocumentKind.VORLAGE), context)))[0] == (
        "Vorlage der Stadt Musterstadt: BESCHLUSSVORLAGE"
    )


SAMPLE = VorlageContext(
    municipality="Stadt Musterstadt",
    title="BESCHLUSSVORLAGE",
    kind="Beschlussvorlage",
    draft=False,
    public=True,
    department="Amt",
    paper_date="01.02.2013",
    reference="1/13",
    file_reference="",
    reference_line="1/13",
    consultations=(),
    subject="Betreff",
    attachments=(),
    resolution=("Beschluss",),
    signed=False,
    signed_place="",
    signed_on="",
    signatory="",
    signatory_function="",
    justification=(),
)
