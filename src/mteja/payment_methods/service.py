"""Payment method rules: one object per type, mobile numbers and providers, no card numbers,
and the customer's ``payment_method`` only ever pointing at one of its active methods."""

from __future__ import annotations

from typing import Any

from mteja.core.errors import FieldError, InvalidRequest, NotFound, ValidationFailed
from mteja.core.ids import is_valid_id, new_id_at
from mteja.core.time import utcnow
from mteja.customers.children import ChildService, apply_changes
from mteja.customers.records import CustomerRecords
from mteja.db.sql import Conn, Record
from mteja.events.service import EventRecorder
from mteja.payment_methods.providers import (
    MobileNumberError,
    check_provider,
    infer_provider,
    normalize_mobile_number,
    providers_for,
)
from mteja.payment_methods.repository import PaymentMethodRepository
from mteja.payment_methods.schemas import (
    PaymentMethodCreate,
    PaymentMethodUpdate,
    card_expired,
    payment_method_etag,
    render_payment_method,
)
from mteja.payment_methods.tables import PAYMENT_METHOD_TYPES


class PaymentMethodNotFound(NotFound):
    default_message = "No such payment method."


class PaymentMethodRules:
    """Used by the customer service inside its transaction."""

    def __init__(self, conn: Conn, account_id: str) -> None:
        self.repo = PaymentMethodRepository(conn, account_id)

    async def require_active(self, customer_id: str, payment_method_id: str) -> None:
        prefix = payment_method_id.partition("_")[0]
        valid = prefix in PAYMENT_METHOD_TYPES.values() and is_valid_id(payment_method_id, prefix)
        if not valid or not await self.repo.is_active(customer_id, payment_method_id):
            raise InvalidRequest.for_field(
                "payment_method", "must be an active payment method of this customer, or null"
            )


class PaymentMethodService(ChildService):
    repository = PaymentMethodRepository
    prefixes = tuple(PAYMENT_METHOD_TYPES.values())
    not_found = PaymentMethodNotFound

    async def create(self, customer_id: str, body: PaymentMethodCreate) -> Record:
        details, processor_token = _details(body)
        payment_method_id, created_at = new_id_at(PAYMENT_METHOD_TYPES[body.type])
        async with self.db.write() as conn:
            customers = CustomerRecords(conn, self.account_id)
            customer = await customers.lock(customer_id)
            row = await PaymentMethodRepository(conn, self.account_id).insert(
                {
                    "id": payment_method_id,
                    "ulid": payment_method_id.partition("_")[2],
                    "customer_id": customer_id,
                    "type": body.type,
                    "status": "active",
                    "details": details,
                    "processor_token": processor_token,
                    "custom_data": body.custom_data,
                    "version": 1,
                    "created_at": created_at,
                    "updated_at": created_at,
                }
            )
            await EventRecorder(conn, self.account_id).created(
                "payment_method", render_payment_method(row)
            )
            if body.set_default:
                await customers.set_payment_method(customer, payment_method_id)
        return row

    async def update(
        self,
        customer_id: str,
        payment_method_id: str,
        body: PaymentMethodUpdate,
        *,
        if_match: str | None,
    ) -> Record:
        sent = {name: getattr(body, name) for name in body.model_fields_set}
        async with self.db.write() as conn:
            customers = CustomerRecords(conn, self.account_id)
            customer = await customers.lock(customer_id)
            repo = PaymentMethodRepository(conn, self.account_id)
            current = await self.find(
                repo,
                customer_id,
                payment_method_id,
                for_update=True,
                if_match=if_match,
                etag=payment_method_etag,
            )
            row = await apply_changes(repo, current, sent)
            await EventRecorder(conn, self.account_id).updated(
                "payment_method", render_payment_method(current), render_payment_method(row)
            )
            if row["status"] == "revoked":
                await _forget_default(customers, customer, payment_method_id)
        return row

    async def delete(
        self, customer_id: str, payment_method_id: str, *, if_match: str | None
    ) -> None:
        async with self.db.write() as conn:
            customers = CustomerRecords(conn, self.account_id)
            customer = await customers.lock(customer_id)
            repo = PaymentMethodRepository(conn, self.account_id)
            current = await self.find(
                repo,
                customer_id,
                payment_method_id,
                for_update=True,
                if_match=if_match,
                etag=payment_method_etag,
            )
            await repo.delete(customer_id, payment_method_id)
            await EventRecorder(conn, self.account_id).deleted(
                "payment_method", render_payment_method(current)
            )
            await _forget_default(customers, customer, payment_method_id)


async def _forget_default(
    customers: CustomerRecords, customer: Record, payment_method_id: str
) -> None:
    if customer["payment_method_id"] == payment_method_id:
        await customers.set_payment_method(customer, None)


def _details(body: PaymentMethodCreate) -> tuple[dict[str, Any], str | None]:
    """The stored object of the body's type, and the card's processor token."""
    errors = [
        FieldError(kind, f"must be absent when type is {body.type}")
        for kind in PAYMENT_METHOD_TYPES
        if kind != body.type and getattr(body, kind) is not None
    ]
    if getattr(body, body.type) is None:
        errors.insert(
            0, FieldError(body.type, f"is required when type is {body.type}", "parameter_missing")
        )
    if errors:
        raise ValidationFailed(errors)
    if body.mobile_money is not None:
        return _mobile_money(body.mobile_money.phone, body.mobile_money.provider), None
    if body.card is not None:
        card = body.card
        if card_expired(card.exp_year, card.exp_month, utcnow()):
            raise InvalidRequest.for_field("card.exp_year", "the card has expired")
        details = {
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
        }
        return details, card.processor_token
    assert body.bank_account is not None
    return body.bank_account.model_dump(), None


def _mobile_money(phone: str, provider: str | None) -> dict[str, Any]:
    try:
        e164, country = normalize_mobile_number(phone)
    except MobileNumberError as error:
        raise InvalidRequest.for_field("mobile_money.phone", str(error)) from None
    if provider is None:
        provider = infer_provider(e164)
        if provider is None:
            accepted = ", ".join(providers_for(country)) or "none known for this country"
            raise InvalidRequest.for_field(
                "mobile_money.provider",
                "could not be inferred from the number's network; send one of: " + accepted,
            )
    else:
        try:
            check_provider(provider, country)
        except ValueError as error:
            raise InvalidRequest.for_field("mobile_money.provider", str(error)) from None
    return {"provider": provider, "phone": e164, "country": country}
