"""The nonce a device puts in its attestation request."""

from __future__ import annotations

from fastapi import APIRouter

from customer_backend.accounts.errors import InvalidSession
from customer_backend.attestation.schemas import NonceOut
from customer_backend.dependencies import BackendDep, SessionDep
from customer_backend.errors import MissingCredentials
from customer_backend.web import error_responses

router = APIRouter(tags=["attestation"])


@router.get(
    "/attestation/nonce",
    response_model=NonceOut,
    responses=error_responses(MissingCredentials, InvalidSession),
    summary="A fresh nonce for this session's next attestation statement",
)
def attestation_nonce(caller: SessionDep, backend: BackendDep) -> NonceOut:
    return NonceOut(nonce=backend.attestation.issue_nonce(caller))
