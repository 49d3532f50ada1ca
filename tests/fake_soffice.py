"""A recording stand-in for LibreOffice's soffice: shows how often LibreOffice is started, in tests that
need no real PDF (the real conversion is tested in tests/documents/test_pdf.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workers.documents.generate import soffice_path

FAKE_SOFFICE = """#!/bin/sh
# A stand-in for soffice: records each start, then writes "%PDF-fake " + the DOCX for every .docx argument
# into --outdir, except for a document containing BROKEN (LibreOffice skips what it cannot read, exit 0).
# With a gate, it says it has started (GATE.started) and converts only once GATE exists.
echo "$#" >> "{log}"
gate="{gate}"
if [ -n "$gate" ]; then
  touch "$gate.started"
  while [ ! -e "$gate" ]; do sleep 0.05; done
fi
outdir=""
prev=""
for arg in "$@"; do
  if [ "$prev" = "--outdir" ]; then outdir="$arg"; fi
  prev="$arg"
done
for arg in "$@"; do
  case "$arg" in
    *.docx)
      if ! grep -q BROKEN "$arg"; then
        name=$(basename "$arg" .docx)
        {{ printf '%%PDF-fake '; cat "$arg"; }} > "$outdir/$name.pdf"
      fi;;
  esac
done
"""


def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, gate: Path | None = None) -> Path:
    """Put the recording stand-in first on PATH; returns its log (one line per LibreOffice start). With
    ``gate``, each conversion creates ``gate.started`` and waits until ``gate`` exists (a slow
    LibreOffice the test releases)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "soffice.log"
    log.touch()
    script = bin_dir / "soffice"
    script.write_text(FAKE_SOFFICE.format(log=log, gate=gate or ""))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert soffice_path() == str(script)
    return log
