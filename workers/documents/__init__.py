"""Word documents from the templates in templates_docx/: the Beschlussvorlage, the invitation, the minutes
and the resolution extract, stored as StoredFile rows with their PDF derivatives (issue 5).

The Celery tasks call these functions; everything else here is pure rendering and reading.
"""

from workers.documents.events import documents_for_event
from workers.documents.generate import (
    DocumentKind,
    PdfConversionError,
    UncommittedMasterError,
    generate_document,
    generate_pdf,
    generate_pdfs,
    make_document,
    store_pdfs,
)

__all__ = [
    "DocumentKind",
    "PdfConversionError",
    "UncommittedMasterError",
    "documents_for_event",
    "generate_document",
    "generate_pdf",
    "generate_pdfs",
    "make_document",
    "store_pdfs",
]
