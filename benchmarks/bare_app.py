"""The floor: a bare FastAPI app with the same route and request body as recording a result, and no
database. ``uvicorn benchmarks.bare_app:app`` with the same settings as the real app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from api.schemas import ResultIn

app = FastAPI(title="bare")


@app.post("/api/v1/{municipality}/agenda-items/{item_id}/result", status_code=201)
def record_result(municipality: str, item_id: int, data: ResultIn) -> JSONResponse:
    """Validates the body like the real route (same pydantic model, a sync route in the thread pool)."""
    return JSONResponse(
        {"agenda_item_id": item_id, "municipality": municipality, "outcome": data.outcome.value},
        status_code=201,
    )
