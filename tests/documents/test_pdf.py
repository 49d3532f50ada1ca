"""The PDF derivative from LibreOffice headless: real soffice where it is installed (CI installs it)."""

from __future__ import annotations

import io
import os
import re
import threading
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import IN_CI
from tests.documents.conftest import NOW, Wetzlar, read_docx
from tests.fake_soffice import fake_soffice
from workers.documents import (
    DocumentKind,
    UncommittedMasterError,
    generate_document,
    generate_pdf,
    generate_pdfs,
)
from workers.documents.generate import PdfConversionError, docx_to_pdf, soffice_path
from workflow.models import StoredFile
from workflow.vocabulary import PDF_MEDIA_TYPE

needs_soffice = pytest.mark.skipif(
    soffice_path() is None and not IN_CI,
    reason="LibreOffice (soffice) is not installed; scripts/ensure-libreoffice.sh installs it (CI does)",
)


@needs_soffice
def test_the_vorlage_becomes_a_pdf_linked_to_its_master_and_a_second_call_reuses_it(
    wetzlar: Wetzlar, tmp_path: Path
) -> None:
    assert soffice_path() is not None, (
        "CI=true: LibreOffice must be installed (scripts/ensure-libreoffice.sh)"
    )
    with wetzlar.db.session() as s:
        master = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=wetzlar.paper_id, output_key="pdf:master", now=NOW
        )
        s.commit()
        pdf = generate_pdf(s, master=master, now=NOW, profile_dir=tmp_path / "profile")
        s.commit()
        assert pdf is not None
        again = generate_pdf(s, master=master, now=NOW, profile_dir=tmp_path / "other-profile")
    assert again is not None
    assert again.id == pdf.id
    assert pdf.content.startswith(b"%PDF-")
    assert re.search(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", pdf.content, re.S)
    # The document's title travels into the PDF's metadata (UTF-16BE, hex): it is this document.
    assert "Beschlussvorlage".encode("utf-16-be").hex().upper().encode() in pdf.content
    assert pdf.output_key == "pdf:master:pdf"
    assert pdf.master_file_id == master.id
    assert (pdf.kind, pdf.version, pdf.paper_id, pdf.public) == (
        master.kind,
        master.version,
        master.paper_id,
        True,
    )
    assert pdf.media_type == PDF_MEDIA_TYPE
    assert pdf.file_name == "Beschlussvorlage 1562-13.pdf"
    assert pdf.size_bytes == len(pdf.content)


PDFUA_ID = "{http://www.aiim.org/pdfua/ns/id/}part"


@needs_soffice
def test_every_kind_of_document_becomes_a_tagged_pdf_ua_in_german_with_its_title(
    wetzlar: Wetzlar, tmp_path: Path
) -> None:
    """What a screen reader needs (tags, language, title); the PDF/UA identifier is LibreOffice's claim, and
    no veraPDF run checks it here."""
    assert soffice_path() is not None, (
        "CI=true: LibreOffice must be installed (scripts/ensure-libreoffice.sh)"
    )
    ids = _three_masters(wetzlar, "ua")
    with wetzlar.db.session() as s:
        extract = generate_document(
            s,
            kind=DocumentKind.RESOLUTION_EXTRACT,
            subject_id=wetzlar.items["stvv"],
            output_key="ua:extract",
            now=NOW,
        )
        s.commit()
        masters = [*(s.get_one(StoredFile, i) for i in ids), extract]
        results = generate_pdfs(s, masters=masters, now=NOW, profile_dir=tmp_path / "profile")
        s.commit()
    assert results is not None
    assert {master.kind for master in masters} == {kind.value for kind in DocumentKind}
    for master, pdf in zip(masters, results, strict=True):
        assert isinstance(pdf, StoredFile), master.kind
        assert read_docx(master.content).core_properties.title == master.name
        reader = PdfReader(io.BytesIO(pdf.content))
        catalog: Any = reader.trailer["/Root"]
        assert catalog["/MarkInfo"]["/Marked"].value is True, master.kind
        assert "/StructTreeRoot" in catalog, master.kind
        assert catalog["/Lang"] == "de-DE", master.kind
        assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True, master.kind
        assert reader.metadata is not None
        assert reader.metadata.title == master.name, master.kind
        xmp = ElementTree.fromstring(catalog["/Metadata"].get_object().get_data())
        assert [e.text for e in xmp.iter(PDFUA_ID)] == ["1"], master.kind
        assert master.name in [e.text for e in xmp.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}li")]


def test_a_soffice_that_exits_0_without_writing_the_pdf_is_an_error(tmp_path: Path) -> None:
    # What a second soffice on a shared profile does: hand the job to the running instance and exit 0.
    quitter = tmp_path / "soffice"
    quitter.write_text("#!/bin/sh\nexit 0\n")
    quitter.chmod(0o755)
    with pytest.raises(PdfConversionError, match="LibreOffice gave no PDF"):
        docx_to_pdf(b"PK", profile_dir=tmp_path / "profile", soffice=str(quitter))


def test_a_master_not_yet_committed_is_refused_so_the_conversion_never_holds_the_subject_locked(
    wetzlar: Wetzlar, tmp_path: Path
) -> None:
    with wetzlar.db.session() as s:
        master = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=wetzlar.paper_id, output_key="pdf:locked", now=NOW
        )
        with pytest.raises(UncommittedMasterError, match="not committed yet"):
            generate_pdf(s, master=master, now=NOW, profile_dir=tmp_path / "profile")
        s.rollback()
        assert s.scalars(select(StoredFile).where(StoredFile.output_key.like("pdf:locked%"))).all() == []


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_timeout_kills_soffice_and_every_process_it_started(tmp_path: Path) -> None:
    # Like the soffice wrapper that starts soffice.bin: a child that would outlive a killed wrapper.
    child_pid = tmp_path / "child.pid"
    hanging = tmp_path / "soffice"
    hanging.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {child_pid}\nsleep 300\n")
    hanging.chmod(0o755)
    with pytest.raises(PdfConversionError, match="LibreOffice took longer than 1 s"):
        docx_to_pdf(b"PK", profile_dir=tmp_path / "profile", soffice=str(hanging), timeout=1)
    pid = int(child_pid.read_text())
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid)


def test_without_libreoffice_there_is_no_pdf_and_no_error(
    wetzlar: Wetzlar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH on which no soffice can be found
    assert soffice_path() is None
    with wetzlar.db.session() as s:
        master = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=wetzlar.paper_id, output_key="nopdf:master", now=NOW
        )
        s.commit()
        assert generate_pdf(s, master=master, now=NOW, profile_dir=tmp_path / "profile") is None
        s.rollback()
    assert os.environ["PATH"] == str(tmp_path)


@needs_soffice
def test_two_workers_convert_at_once_each_with_its_own_profile(wetzlar: Wetzlar, tmp_path: Path) -> None:
    assert soffice_path() is not None, (
        "CI=true: LibreOffice must be installed (scripts/ensure-libreoffice.sh)"
    )
    with wetzlar.db.session() as s:
        docx = generate_document(
            s, kind=DocumentKind.MINUTES, subject_id=wetzlar.meetings["stvv"], output_key="pdf:two", now=NOW
        ).content
        s.rollback()
    pdfs: dict[int, bytes] = {}

    def convert(worker: int) -> None:
        pdfs[worker] = docx_to_pdf(docx, profile_dir=tmp_path / f"profile-{worker}")

    threads = [threading.Thread(target=convert, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert sorted(pdfs) == [1, 2]
    assert all(pdf.startswith(b"%PDF-") for pdf in pdfs.values())


def _three_masters(wetzlar: Wetzlar, prefix: str) -> list[int]:
    with wetzlar.db.session() as s:
        ids = [
            generate_document(s, kind=kind, subject_id=subject, output_key=f"{prefix}:{kind}", now=NOW).id
            for kind, subject in (
                (DocumentKind.VORLAGE, wetzlar.paper_id),
                (DocumentKind.INVITATION, wetzlar.meetings["stvv"]),
                (DocumentKind.MINUTES, wetzlar.meetings["stvv"]),
            )
        ]
        s.commit()
    return ids


def test_a_batch_of_masters_is_converted_with_one_libreoffice_start_and_a_second_run_converts_nothing(
    wetzlar: Wetzlar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_soffice(tmp_path, monkeypatch)
    ids = _three_masters(wetzlar, "batch")
    with wetzlar.db.session() as s:
        masters = [s.get_one(StoredFile, i) for i in ids]
        pdfs = generate_pdfs(s, masters=masters, now=NOW, profile_dir=tmp_path / "profile")
        s.commit()
        assert pdfs is not None
        assert len(log.read_text().splitlines()) == 1  # one LibreOffice start for three documents
        for master, pdf in zip(masters, pdfs, strict=True):
            assert isinstance(pdf, StoredFile)
            assert pdf.content == b"%PDF-fake " + master.content  # each master's own PDF
            assert (pdf.output_key, pdf.master_file_id) == (f"{master.output_key}:pdf", master.id)
            assert pdf.file_name == master.file_name.removesuffix(".docx") + ".pdf"
        again = generate_pdfs(s, masters=masters, now=NOW, profile_dir=tmp_path / "profile")
        assert again is not None
        assert [p.id for p in again if isinstance(p, StoredFile)] == [
            p.id for p in pdfs if isinstance(p, StoredFile)
        ]
    assert len(log.read_text().splitlines()) == 1  # the second run found every PDF


def test_a_document_that_fails_in_a_batch_is_tried_alone_and_does_not_sink_the_others(
    wetzlar: Wetzlar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_soffice(tmp_path, monkeypatch)
    good_first, _, good_last = _three_masters(wetzlar, "sink")
    with wetzlar.db.session() as s:
        model = s.get_one(StoredFile, good_first)
        broken = StoredFile(
            **{
                column: getattr(model, column)
                for column in (
                    "municipality_id",
                    "kind",
                    "paper_id",
                    "meeting_id",
                    "agenda_item_id",
                    "name",
                    "file_name",
                    "media_type",
                    "public",
                    "draft",
                    "created_at",
                    "modified_at",
                )
            },
            version=model.version + 100,
            output_key="sink:broken",
            content=b"BROKEN",
            size_bytes=6,
            sha256="0" * 64,
        )
        s.add(broken)
        s.commit()
        masters = [s.get_one(StoredFile, i) for i in (good_first, broken.id, good_last)]
        results = generate_pdfs(s, masters=masters, now=NOW, profile_dir=tmp_path / "profile")
        s.commit()
    assert results is not None
    assert [type(r) for r in results] == [StoredFile, PdfConversionError, StoredFile]
    assert "LibreOffice gave no PDF" in str(results[1])
    # The batch, then the broken document alone.
    assert [int(line) for line in log.read_text().splitlines()] == [7 + 3, 7 + 1]
    with wetzlar.db.session() as s:
        stored = set(s.scalars(select(StoredFile.output_key).where(StoredFile.output_key.like("sink:%:pdf"))))
    assert stored == {"sink:vorlage:pdf", "sink:minutes:pdf"}


def test_a_batch_with_one_master_not_yet_committed_converts_nothing(
    wetzlar: Wetzlar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_soffice(tmp_path, monkeypatch)
    [committed, *_] = _three_masters(wetzlar, "partly")
    with wetzlar.db.session() as s:
        fresh = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=wetzlar.paper_id, output_key="partly:fresh", now=NOW
        )
        with pytest.raises(UncommittedMasterError):
            generate_pdfs(
                s, masters=[s.get_one(StoredFile, committed), fresh], now=NOW, profile_dir=tmp_path / "p"
            )
        s.rollback()
    assert log.read_text() == ""
