"""HTTP pieces shared by every route that sends a stored document: its file name and the ETag check."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote


def content_disposition(file_name: str, kind: str = "attachment") -> str:
    """``attachment`` (or ``inline``) with an ASCII fallback name and the real (UTF-8) name per RFC 6266 /
    RFC 5987."""
    transliterated = (
        file_name.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
        .replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    )  # fmt: skip
    ascii_name = unicodedata.normalize("NFKD", transliterated).encode("ascii", "ignore").decode()
    ascii_name = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in ascii_name) or "Dokument"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names this ETag (weak forms and ``*`` included)."""
    if if_none_match is None:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)
