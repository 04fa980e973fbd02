"""Payment method rules: one object per type, mobile numbers and providers, no card numbers.
Which one is the customer's default is the aggregate's rule (``customers.aggregate``)."""

from __future__ import annotations

from typing import Any

from mteja.core.errors import FieldError, InvalidRequest, NotFound, ValidationFailed
from mteja.core.ids import new_id_at
from mteja.core.time import utcnow
from mteja.customers.aggregate import CustomerAggregate
from mteja.customers.payment_methods.providers import (
    MobileNumberError,
    check_provider,
    infer_provider,
    normalize_mobile_number,
    providers_for,
)
from mteja.customers.payment_methods.repository import PaymentMethodRepository
from mteja.customers.payment_methods.schemas import (
    PaymentMethodCreate,
    PaymentMethodUpdate,
    card_expired,
    payment_method_etag,
    render_payment_method,
)
from mteja.customers.payment_methods.tables import PAYMENT_METHOD_TYPES
from mteja.db.sql import Conn, Record
from mteja.kit.service import OwnedResourceService, apply_changes


class PaymentMethodNotFound(NotFound):
    default_message = "No such payment method."


class PaymentMethodService(OwnedResourceService):
    repository = PaymentMethodRepository
    prefixes = tuple(PAYMENT_METHOD_TYPES.values())
    not_found = PaymentMethodNotFound

    async def find_parent(self, conn: Conn, parent_id: str) -> Record:
        return await CustomerAggregate(conn, self.caller).find(parent_id)

    async def create(self, customer_id: str, body: PaymentMethodCreate) -> Record:
        details, processor_token = _details(body)
        payment_method_id, created_at = new_id_at(PAYMENT_METHOD_TYPES[body.type])
        aggregate = CustomerAggregate(await self.uow.write(), self.caller)
        customer = await aggregate.lock_for_change(customer_id)
        row = await aggregate.payment_methods.insert(
            {
                "id": payment_method_id,
                "ulid": payment_method_id.partition("_")[2],
                "customer_id": customer_id,
                "type": body.type,
                "status": "active",
                "details": details,
                "processor_token": processor_token,
                "phone": details["phone"] if body.type == "mobile_money" else None,
                "custom_data": body.custom_data,
                "version": 1,
                "created_at": created_at,
                "updated_at": created_at,
            }
        )
        await aggregate.events.created("payment_method", render_payment_method(row))
        if body.set_default:
            await aggregate.make_default_payment_method(customer, payment_method_id)
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
        aggregate = CustomerAggregate(await self.uow.write(), self.caller)
        customer = await aggregate.lock_for_change(customer_id)
        current = await self._find_for_change(aggregate, customer_id, payment_method_id, if_match)
        row = await apply_changes(aggregate.payment_methods, current, sent)
        await aggregate.events.updated(
            "payment_method", render_payment_method(current), render_payment_method(row)
        )
        if row["status"] == "revoked":
            await aggregate.forget_payment_method(customer, payment_method_id)
        return row

    async def delete(
        self, customer_id: str, payment_method_id: str, *, if_match: str | None
    ) -> None:
        aggregate = CustomerAggregate(await self.uow.write(), self.caller)
        customer = await aggregate.lock_for_change(customer_id)
        current = await self._find_for_change(aggregate, customer_id, payment_method_id, if_match)
        await aggregate.payment_methods.delete(customer_id, payment_method_id)
        await aggregate.events.deleted("payment_method", render_payment_method(current))
        await aggregate.forget_payment_method(customer, payment_method_id)

    async def _find_for_change(
        self,
        aggregate: CustomerAggregate,
        customer_id: str,
        payment_method_id: str,
        if_match: str | None,
    ) -> Record:
        return await self.find(
            aggregate.payment_methods,
            customer_id,
            payment_method_id,
            for_update=True,
            if_match=if_match,
            etag=payment_method_etag,
        )


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
