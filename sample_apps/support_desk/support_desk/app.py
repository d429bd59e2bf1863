"""HTTP front of the support desk."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException

from . import __version__
from .config import support_hours
from .models import Intent, Ticket, TicketRequest
from .tickets import build_ticket

app = FastAPI(title="Support Desk", version=__version__)


@app.get("/health")
def health() -> dict[str, str | int]:
    """Liveness check, with the version and the number of known intents."""
    return {"status": "ok", "version": __version__, "intents": len(Intent), "support_hours": support_hours()}


@app.post("/tickets", response_model=Ticket)
def create_ticket(request: TicketRequest) -> Ticket:
    """Open a ticket for a customer message."""
    try:
        return build_ticket(request.message, request.customer_id)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
