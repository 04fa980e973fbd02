"""Every resource method of the SDK, sync (``Mteja``) and async (``AsyncMteja``), against a
real server: what each returns is the typed object the server made."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from mteja_client import (
    Address,
    AsyncMteja,
    BankAccountPaymentMethod,
    Business,
    CardPaymentMethod,
    ConflictError,
    Customer,
    CustomerBatchCreated,
    CustomerBatchRefused,
    Deleted,
    Event,
    MobileMoneyPaymentMethod,
    Mteja,
    NotFoundError,
    Page,
    PersonExport,
    PreconditionFailedError,
)
from tests.client.conftest import unique_email

pytestmark = pytest.mark.slow

NEXT_YEAR = datetime.now(UTC).year + 1


def test_customers(mteja: Mteja) -> None:
    email = unique_email("Asha")
    created = mteja.customers.create(
        name="Asha Juma",
        email=email,
        phone="+255 788 323 255",
        address={"line1": "Plot 12", "city": "Dar es Salaam", "country": "tz"},
        custom_data={"crm_id": "A-1029"},
    )
    assert isinstance(created, Customer)
    assert created.id.startswith("cus_")
    assert created.email == email
    assert created.phone == "+255788323255"
    assert created.address is not None
    assert created.address.country == "TZ"
    assert created.address.city == "Dar es Salaam"
    assert created.status == "active"
    assert created.custom_data == {"crm_id": "A-1029"}
    assert created.created_at.tzinfo is not None
    assert created.etag

    fetched = mteja.customers.get(created.id)
    assert fetched == created
    assert fetched.etag == created.etag

    updated = mteja.customers.update(
        created.id, if_match=fetched.etag, status="suspended", phone=None
    )
    assert updated.status == "suspended"
    assert updated.phone is None
    assert updated.etag != created.etag
    # The old ETag no longer matches: nothing changes.
    with pytest.raises(PreconditionFailedError):
        mteja.customers.update(created.id, if_match=created.etag, name="Someone else")
    with pytest.raises(PreconditionFailedError):
        mteja.customers.delete(created.id, if_match=created.etag)
    assert mteja.customers.get(created.id).name == "Asha Juma"

    other = mteja.customers.create(name="Baraka", email=unique_email(), custom_data={"k": "v"})
    assert [c.id for c in mteja.customers.list(email=email.upper())] == [created.id]
    assert [c.id for c in mteja.customers.list(custom_data={"crm_id": "A-1029"})] == [created.id]
    assert [c.id for c in mteja.customers.list(search="baraka")] == [other.id]
    assert [c.id for c in mteja.customers.list(status=["suspended", "inactive"])] == [created.id]
    assert [c.id for c in mteja.customers.list(order="asc")] == [created.id, other.id]
    assert [c.id for c in mteja.customers.list(created_at_gte=other.created_at)] == [other.id]
    assert [c.id for c in mteja.customers.list(created_at_lt=other.created_at)] == [created.id]
    later = datetime.now(UTC) + timedelta(hours=1)
    assert list(mteja.customers.list(created_at_gte=later)) == []

    deleted = mteja.customers.delete(created.id, if_match=updated.etag)
    assert deleted == Deleted(id=created.id, deleted=True)
    with pytest.raises(NotFoundError):
        mteja.customers.get(created.id)
    assert [c.id for c in mteja.customers.list()] == [other.id]


def test_create_batch(mteja: Mteja) -> None:
    email = unique_email("Batch")
    batch = mteja.customers.create_batch(
        [
            {"name": "Asha", "email": email, "address": {"country": "TZ"}},
            {"name": "Asha again", "email": email},
            {"name": "No email"},  # type: ignore[typeddict-item]
        ],
        idempotency_key=f"batch-{email}",
    )
    first, taken, invalid = batch.data
    assert isinstance(first, CustomerBatchCreated)
    assert first.status == 201
    assert first.customer.address is not None
    assert batch.created == [first.customer]
    assert isinstance(taken, CustomerBatchRefused)
    assert (taken.status, taken.error.code) == (409, "customer_already_exists")
    assert first.customer.id in taken.error.message
    assert isinstance(invalid, CustomerBatchRefused)
    assert (invalid.status, invalid.error.param) == (400, "email")
    assert mteja.customers.get(first.customer.id) == first.customer


async def test_create_batch_async(amteja: AsyncMteja) -> None:
    emails = [unique_email(f"async-batch-{n}") for n in range(3)]
    batch = await amteja.customers.create_batch([{"name": "A", "email": e} for e in emails])
    assert [item.status for item in batch.data] == [201, 201, 201]
    assert [customer.email for customer in batch.created] == emails


def test_addresses_and_businesses(mteja: Mteja) -> None:
    customer = mteja.customers.create(
        name="Duka", email=unique_email(), address={"city": "Dar es Salaam", "country": "TZ"}
    )
    addresses = mteja.customers.addresses(customer.id)
    [first] = list(addresses.list())
    assert isinstance(first, Address)
    assert first.default is True
    second = addresses.create(country="tz", city="Arusha", description="Shop", default=True)
    assert (second.country, second.default, second.customer_id) == ("TZ", True, customer.id)
    assert addresses.get(first.id).default is False
    assert mteja.customers.get(customer.id).address is not None
    archived = addresses.update(first.id, if_match=addresses.get(first.id).etag, status="archived")
    assert archived.status == "archived"
    assert [a.id for a in addresses.list(status="active")] == [second.id]
    page = addresses.page(limit=1)
    assert isinstance(page, Page)
    assert len(page.data) == 1
    assert page.has_more is True
    assert page.next_cursor is not None
    rest = addresses.page(limit=1, cursor=page.next_cursor)
    assert [a.id for a in page.data + rest.data] == [second.id, first.id]
    assert rest.has_more is False
    assert rest.next_cursor is None

    businesses = mteja.customers.businesses(customer.id)
    business = businesses.create(
        name="Duka la Asha Ltd",
        tax_identifier="100-200-300",
        contacts=[{"name": "Asha", "email": "asha@example.com"}],
        custom_data={"segment": "retail"},
    )
    assert isinstance(business, Business)
    assert business.contacts[0].email == "asha@example.com"
    assert businesses.get(business.id) == business
    renamed = businesses.update(business.id, name="Duka Ltd", company_number=None)
    assert renamed.name == "Duka Ltd"
    assert [b.id for b in businesses.list()] == [business.id]
    assert businesses.page(status="archived").data == []


def test_payment_methods(mteja: Mteja) -> None:
    customer = mteja.customers.create(name="Asha", email=unique_email())
    methods = mteja.customers.payment_methods(customer.id)
    momo = methods.create(
        type="mobile_money", mobile_money={"phone": "+255 754 123 456"}, set_default=True
    )
    assert isinstance(momo, MobileMoneyPaymentMethod)
    assert (momo.mobile_money.provider, momo.mobile_money.country) == ("mpesa", "TZ")
    assert mteja.customers.get(customer.id).payment_method == momo.id
    card = methods.create(
        type="card",
        card={
            "brand": "visa",
            "last4": "4242",
            "exp_month": 8,
            "exp_year": NEXT_YEAR,
            "processor_token": "tok_1Pq2r3SecretValue",
        },
    )
    assert isinstance(card, CardPaymentMethod)
    assert card.card.exp_year == NEXT_YEAR
    assert "processor_token" not in card.model_dump()
    bank = methods.create(
        type="bank_account",
        bank_account={
            "bank_name": "CRDB Bank",
            "account_holder_name": "Duka la Asha Ltd",
            "last4": "6789",
            "country": "tz",
        },
        custom_data={"ref": "b-1"},
    )
    assert isinstance(bank, BankAccountPaymentMethod)
    assert bank.bank_account.country == "TZ"

    assert methods.get(card.id) == card
    assert [m.id for m in methods.list()] == [bank.id, card.id, momo.id]
    assert [type(m).__name__ for m in methods.page(limit=3).data] == [
        "BankAccountPaymentMethod",
        "CardPaymentMethod",
        "MobileMoneyPaymentMethod",
    ]
    revoked = methods.update(momo.id, status="revoked", custom_data={"why": "lost"})
    assert (revoked.status, revoked.custom_data) == ("revoked", {"why": "lost"})
    assert mteja.customers.get(customer.id).payment_method is None
    assert [m.id for m in methods.list(status="active")] == [bank.id, card.id]
    assert methods.delete(card.id, if_match=methods.get(card.id).etag) == Deleted(
        id=card.id, deleted=True
    )
    with pytest.raises(NotFoundError):
        methods.get(card.id)


def test_events(mteja: Mteja) -> None:
    customer = mteja.customers.create(name="Asha", email=unique_email())
    mteja.customers.update(customer.id, name="Asha J")
    mteja.customers.addresses(customer.id).create(country="KE")
    events = list(mteja.events.list(type="customer.*"))
    assert [e.type for e in events] == ["customer.updated", "customer.created"]
    assert all(isinstance(e, Event) for e in events)
    assert events[0].data.object["name"] == "Asha J"
    assert events[0].data.previous_attributes == {"name": "Asha"}
    assert mteja.events.get(events[1].id) == events[1]
    assert [e.type for e in mteja.events.list(type=["address.created", "customer.created"])] == [
        "address.created",
        "customer.created",
    ]
    page = mteja.events.page(limit=2, order="asc")
    assert [e.type for e in page.data] == ["customer.created", "customer.updated"]
    assert page.has_more is True


def test_customer_lifecycle(mteja: Mteja) -> None:
    """External ids, phone lookup, timelines, duplicates, merge, export and redaction."""
    tag = unique_email("tag").partition("@")[0]
    target = mteja.customers.create(
        name=f"Zuhura {tag}", email=unique_email(), external_id=f"crm-{tag}"
    )
    source = mteja.customers.create(
        name=f"zuhura {tag}", email=unique_email(), phone="+255 788 111 222"
    )
    assert target.external_id == f"crm-{tag}"
    assert [c.id for c in mteja.customers.list(external_id=f"crm-{tag}")] == [target.id]
    assert [c.id for c in mteja.customers.list(phone="+255788111222")] == [source.id]

    duplicates = mteja.customers.duplicates(target.id)
    assert [(d.customer.id, d.reasons) for d in duplicates.data] == [(source.id, ["name"])]
    assert duplicates.has_more is False

    merged = mteja.customers.merge(target.id, source.id)
    assert merged.id == target.id
    assert merged.phone == "+255788111222"
    with pytest.raises(NotFoundError):
        mteja.customers.get(source.id)
    types = [e.type for e in mteja.customers.events(target.id)]
    assert types[0] == "customer.merged"
    assert [e.id for e in mteja.events.list(customer=target.id)] == [
        e.id for e in mteja.customers.events(target.id)
    ]
    assert [e.type for e in mteja.events.list(customer=source.id)] == [
        "customer.deleted",
        "customer.created",
    ]

    export = mteja.customers.export(target.id)
    assert export.customer == mteja.customers.get(target.id)
    assert export.events[0].type == "customer.created"
    sink = io.BytesIO()
    written = mteja.customers.export_to(target.id, sink)
    assert written == len(sink.getvalue())
    assert PersonExport.model_validate(json.loads(sink.getvalue())) == export
    with pytest.raises(NotFoundError):
        mteja.customers.export_to(source.id, io.BytesIO())

    portal = mteja.customers.create_portal_session(target.id, locale="sw")
    assert portal.customer_id == target.id
    assert portal.id.startswith("ps_")
    assert "/portal/" in portal.url
    assert portal.expires_at - portal.created_at == timedelta(hours=1)

    redacted = mteja.customers.redact(target.id)
    assert redacted.name == "redacted"
    assert redacted.redacted_at is not None
    with pytest.raises(ConflictError):
        mteja.customers.update(target.id, name="Back")


async def test_async_surface(amteja: AsyncMteja) -> None:
    """Every method of the async client, once."""
    customer = await amteja.customers.create(
        name="Async Asha", email=unique_email(), idempotency_key="async-create-1"
    )
    assert (await amteja.customers.get(customer.id)).etag == customer.etag
    updated = await amteja.customers.update(customer.id, if_match=customer.etag, status="inactive")
    assert updated.status == "inactive"
    assert [c.id async for c in amteja.customers.list()] == [customer.id]
    assert (await amteja.customers.page(limit=1)).data == [updated]

    addresses = amteja.customers.addresses(customer.id)
    address = await addresses.create(country="TZ", city="Mwanza")
    assert (await addresses.get(address.id)).city == "Mwanza"
    assert (await addresses.update(address.id, city="Dodoma")).city == "Dodoma"
    assert [a.id async for a in addresses.list()] == [address.id]
    assert (await addresses.page()).has_more is False

    businesses = amteja.customers.businesses(customer.id)
    business = await businesses.create(name="Async Ltd")
    assert (await businesses.get(business.id)).name == "Async Ltd"
    assert (await businesses.update(business.id, status="archived")).status == "archived"
    assert [b.id async for b in businesses.list(status="archived")] == [business.id]
    assert (await businesses.page(status="active")).data == []

    methods = amteja.customers.payment_methods(customer.id)
    momo = await methods.create(type="mobile_money", mobile_money={"phone": "+255754123456"})
    assert isinstance(await methods.get(momo.id), MobileMoneyPaymentMethod)
    assert (await methods.update(momo.id, custom_data={"a": 1})).custom_data == {"a": 1}
    assert [m.id async for m in methods.list()] == [momo.id]
    assert len((await methods.page()).data) == 1
    assert (await methods.delete(momo.id)).deleted is True
    portal = await amteja.customers.create_portal_session(
        customer.id, return_url="https://duka.example/account"
    )
    assert portal.customer_id == customer.id

    types = [e.type async for e in amteja.events.list(type="payment_method.*")]
    assert types == ["payment_method.deleted", "payment_method.updated", "payment_method.created"]
    first = (await amteja.events.page(limit=1, order="asc")).data[0]
    assert (await amteja.events.get(first.id)).type == "customer.created"

    other = await amteja.customers.create(name="Async Asha", email=unique_email())
    assert [d.customer.id for d in (await amteja.customers.duplicates(customer.id)).data] == [
        other.id
    ]
    assert (await amteja.customers.merge(customer.id, other.id)).id == customer.id
    timeline = [e.type async for e in amteja.customers.events(customer.id, type="customer.*")]
    assert timeline[0] == "customer.merged"
    assert (await amteja.customers.export(customer.id)).customer.id == customer.id
    sink = io.BytesIO()
    assert await amteja.customers.export_to(customer.id, sink) == len(sink.getvalue())
    assert (await amteja.customers.redact(customer.id)).name == "redacted"

    assert (await amteja.customers.delete(customer.id)).deleted is True
    with pytest.raises(NotFoundError):
        await amteja.customers.get(customer.id)
