"""Verifying a webhook mteja sent, with the ``standardwebhooks`` package (install
``mteja-client[webhooks]``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mteja_client.errors import MtejaError, WebhookVerificationError
from mteja_client.models import Event

__all__ = ["WebhookVerificationError", "verify"]


def verify(payload: bytes | str, headers: Mapping[str, str], secret: str) -> Event:
    """The event of a webhook request, once its signature checks out.

    ``payload`` is the raw request body exactly as received (not re-serialised JSON),
    ``headers`` the request's headers (any mapping, any case: ``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``), ``secret`` the endpoint's ``whsec_…``.
    Raises ``WebhookVerificationError`` when the signature does not match, the timestamp
    is more than five minutes away from now, or a header is missing or malformed.
    """
    try:
        from standardwebhooks.webhooks import Webhook
    except ImportError as error:
        raise MtejaError(
            "webhook verification needs the `standardwebhooks` package: "
            "pip install 'mteja-client[webhooks]'"
        ) from error
    body = payload.decode() if isinstance(payload, bytes) else payload
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        Webhook(secret).verify(body, lowered, json_parse=False)
    except Exception as error:
        # standardwebhooks raises its own error for a bad signature or timestamp, and
        # ValueError and the like for a malformed header or secret: all mean "not ours".
        raise WebhookVerificationError(f"webhook does not verify: {error}") from error
    data: Any = json.loads(body)
    return Event.model_validate(data)
