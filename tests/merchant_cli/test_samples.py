"""The sample files of ``docs/import-formats.md``, imported with the installed ``mteja``
command as a merchant would, each into an account of its own: every row becomes the
customer the page promises. The files are read from ``docs/samples/``, so the page and
this test cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.merchant_cli.conftest import Merchant

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")


@dataclass(frozen=True)
class Expected:
    name: str
    phone: str | None
    address: dict[str, str | None] | None
    status: str
    custom_data: dict[str, Any] | None
    external_id: str | None = None


def address(
    line1: str | None,
    line2: str | None,
    city: str | None,
    state: str | None,
    postal_code: str | None,
    country: str,
) -> dict[str, str | None]:
    parts = (line1, line2, city, state, postal_code, country)
    return dict(zip(ADDRESS_PARTS, parts, strict=True))


# Per sample: the layout the import must tell from the file alone, and each customer by
# email. The mteja layout drops what the account assigns (id, payment_method, timestamps).
MTEJA_CSV = {
    "asha.mwinyi@example.co.tz": Expected(
        name="Asha Mwinyi",
        phone="+255788323255",
        address=address(
            "Mtaa wa Uhuru 12", "Kariakoo", "Dar es Salaam", "Dar es Salaam", "11101", "TZ"
        ),
        status="active",
        custom_data={"crm_id": "A-1029", "plan": "pro"},
    ),
    "juma.otieno@example.co.ke": Expected(
        name="Juma Otieno",
        # A national number, read in the country of the row's address.
        phone="+254712345678",
        address=address("Kenyatta Avenue 41", None, "Nairobi", "Nairobi County", "00100", "KE"),
        status="active",
        custom_data={"crm_id": "K-0311"},
    ),
    "zawadi@duka.example.co.tz": Expected(
        name="Duka la Zawadi Ltd", phone=None, address=None, status="suspended", custom_data=None
    ),
    "wanjiru.kamau@example.co.ke": Expected(
        name="Wanjiru Kamau",
        phone="+254722000111",
        address=address("Moi Avenue 7", "Floor 2", "Mombasa", "Mombasa County", "80100", "KE"),
        status="inactive",
        custom_data={"crm_id": "K-0420", "tags": ["wholesale", "coast"]},
    ),
}

MTEJA_JSONL = {
    "neema.mushi@example.co.tz": Expected(
        name="Neema Mushi",
        phone="+255754123456",
        # JSON Lines keep an empty string apart from null; CSV cannot.
        address=address("Sokoine Road 18", "", "Arusha", "Arusha", "23101", "TZ"),
        status="active",
        custom_data={"crm_id": "A-2044", "plan": "basic"},
    ),
    "baraka.njoroge@example.co.ke": Expected(
        name="Baraka Njoroge",
        phone="+254733555010",
        address=address(None, None, "Kisumu", None, "40100", "KE"),
        status="suspended",
        custom_data={"crm_id": "K-0777", "limits": {"credit_days": 30}},
    ),
    "halima.said@example.co.tz": Expected(
        name="Halima Said", phone=None, address=None, status="active", custom_data=None
    ),
}

STRIPE_CSV = {
    "fatuma.hassan@example.co.tz": Expected(
        name="Fatuma Hassan",
        phone="+255713456789",
        address=address(
            "Plot 45 Haile Selassie Rd", "Masaki", "Dar es Salaam", "Dar es Salaam", "14111", "TZ"
        ),
        status="active",
        custom_data={
            "plan": "pro",
            "crm_id": "A-3001",
            # Not needed for the name, so kept with the rest.
            "description": "Regular since 2021",
            "created_utc": "2024-03-14 09:21",
            "card_id": "card_1PuTz8Lk2vB9sTn4q7X1aB3c",
            "delinquent": "false",
            "currency": "tzs",
            "balance": "0",
            "tax_exempt": "none",
        },
        external_id="cus_QkX2vB9sTn4LcA",
    ),
    "orders@mamantilie.example.co.tz": Expected(
        # No Name: the Description stands in.
        name="Mama Ntilie Catering",
        phone="+255754987654",
        address=address("Kaloleni Street 3", None, "Arusha", "Arusha", "23105", "TZ"),
        status="active",
        custom_data={
            "plan": "basic",
            "created_utc": "2024-05-02 16:05",
            "delinquent": "false",
            "currency": "tzs",
            "balance": "-15000",
            "tax_exempt": "none",
        },
        external_id="cus_QkX3wC0tUo5MdB",
    ),
    "peter.mwangi@example.co.ke": Expected(
        # Neither Name nor Description: the Shipping Name stands in.
        name="Peter Mwangi",
        phone="+254711222333",
        address=address("Tom Mboya Street 22", None, "Nairobi", "Nairobi County", "00100", "KE"),
        status="active",
        custom_data={
            "plan": "pro",
            "crm_id": "K-1187",
            "created_utc": "2024-06-19 11:47",
            "card_id": "card_1PvUa9Mm3wC0tUo5r8Y2bC4d",
            "delinquent": "true",
            "currency": "kes",
            "balance": "2500",
            "tax_exempt": "none",
        },
        external_id="cus_QkX4xD1uVp6NeC",
    ),
}

STRIPE_JSONL = {
    "salma.juma@example.co.tz": Expected(
        name="Salma Juma",
        phone="+255784100200",
        address=address(
            "Kenyatta Road 9", "Stone Town", "Zanzibar", "Mjini Magharibi", "71101", "TZ"
        ),
        status="active",
        custom_data={
            "crm_id": "A-3107",
            "plan": "pro",
            "balance": 0,
            "created": 1710408060,
            "currency": "tzs",
            "default_source": "card_1PwVb0Nn4xD1uVp6s9Z3cD5e",
            "delinquent": False,
            "invoice_prefix": "7F3A2C1B",
            "livemode": False,
            "next_invoice_sequence": 4,
            "tax_exempt": "none",
        },
        external_id="cus_QkY1aE2vWq7OfD",
    ),
    "accounts@agrovet.example.co.ke": Expected(
        name="Nakuru Agrovet Supplies",
        phone="+254720333444",
        address=address("Kenyatta Lane 5", None, "Nakuru", "Nakuru County", "20100", "KE"),
        status="active",
        custom_data={
            "balance": -50000,
            "created": 1714665900,
            "currency": "kes",
            "delinquent": False,
            "invoice_prefix": "9C2E4F6A",
            "livemode": False,
            "next_invoice_sequence": 1,
            "tax_exempt": "exempt",
        },
        external_id="cus_QkY2bF3wXr8PgE",
    ),
    "grace.wambui@example.co.ke": Expected(
        name="Grace Wambui",
        phone="+254701555666",
        address=None,
        status="active",
        custom_data={
            "plan": "basic",
            "balance": 0,
            "created": 1718797620,
            "delinquent": False,
            "invoice_prefix": "1B3D5F7H",
            "livemode": False,
            "next_invoice_sequence": 1,
            "tax_exempt": "none",
        },
        external_id="cus_QkY3cG4xYs9QhF",
    ),
}

PADDLE_CSV = {
    "rehema.mbwana@example.co.tz": Expected(
        name="Rehema Mbwana",
        phone=None,
        address=address("Nyerere Road 30", None, "Mwanza", "Mwanza", "33101", "TZ"),
        status="active",
        custom_data={
            "crm_id": "A-4410",
            "locale": "sw",
            "marketing_consent": "true",
            "created_at": "2024-04-11T15:57:24.813Z",
            "updated_at": "2024-04-11T15:57:24.813Z",
        },
        external_id="ctm_01hv8wt8nffez4p2t6tgdd8pzm",
    ),
    "daudi.kiprop@example.co.ke": Expected(
        # Paddle's name is optional: the email stands in.
        name="daudi.kiprop@example.co.ke",
        phone=None,
        address=None,
        status="inactive",
        custom_data={
            "locale": "en",
            "marketing_consent": "false",
            "created_at": "2024-04-12T08:10:02.114Z",
            "updated_at": "2024-07-30T12:00:45.901Z",
        },
        external_id="ctm_01hv8x2k4gq7a9c1e3f5h7j9kb",
    ),
    "akinyi.odhiambo@example.co.ke": Expected(
        name="Akinyi Odhiambo",
        phone=None,
        address=address(
            "Oginga Odinga Street 11", "Suite 4", "Kisumu", "Kisumu County", "40100", "KE"
        ),
        status="active",
        custom_data={
            "segment": "smb",
            "crm_id": "K-2290",
            "locale": "en",
            "marketing_consent": "false",
            "created_at": "2024-05-20T10:45:33.250Z",
            "updated_at": "2024-05-20T10:45:33.250Z",
        },
        external_id="ctm_01hv8x4m6js9c1e3g5h7k9m1nd",
    ),
}

PADDLE_JSONL = {
    "mariam.abdallah@example.co.tz": Expected(
        name="Mariam Abdallah",
        phone=None,
        address=None,
        status="active",
        custom_data={
            "crm_id": "A-5120",
            "plan": "pro",
            "marketing_consent": True,
            "locale": "sw",
            "created_at": "2024-06-03T09:14:51.000Z",
            "updated_at": "2024-06-03T09:14:51.000Z",
        },
        external_id="ctm_01hv9a1b3c5d7e9f1g3h5j7k9m",
    ),
    "kevin.ouma@example.co.ke": Expected(
        name="kevin.ouma@example.co.ke",
        phone=None,
        address=None,
        status="active",
        # import_meta is an object: only plain values are kept.
        custom_data={
            "marketing_consent": False,
            "locale": "en",
            "created_at": "2024-06-07T17:40:08.330Z",
            "updated_at": "2024-06-07T17:40:08.330Z",
        },
        external_id="ctm_01hv9a3d5f7h9j1k3m5n7p9r1s",
    ),
    "subira.lyimo@example.co.tz": Expected(
        name="Subira Lyimo",
        phone=None,
        address=None,
        status="inactive",
        custom_data={
            "crm_id": "A-5133",
            "marketing_consent": False,
            "locale": "sw",
            "created_at": "2024-06-21T06:05:19.702Z",
            "updated_at": "2024-09-18T14:22:37.016Z",
        },
        external_id="ctm_01hv9a5f7h9j1k3m5n7p9r1t3v",
    ),
}


@pytest.mark.parametrize(
    ("sample", "layout", "expected"),
    [
        ("customers-mteja.csv", "mteja", MTEJA_CSV),
        ("customers-mteja.jsonl", "mteja", MTEJA_JSONL),
        ("customers-stripe.csv", "stripe", STRIPE_CSV),
        ("customers-stripe.jsonl", "stripe", STRIPE_JSONL),
        ("customers-paddle.csv", "paddle", PADDLE_CSV),
        ("customers-paddle.jsonl", "paddle", PADDLE_JSONL),
    ],
)
def test_every_row_of_the_sample_becomes_the_documented_customer(
    merchant: Merchant, sample: str, layout: str, expected: dict[str, Expected]
) -> None:
    # The reject file goes beside the test's files, never into docs/samples.
    rejects = merchant.workdir / "rejects"
    result = merchant.run("customers", "import", str(SAMPLES / sample), "--rejects", str(rejects))

    assert result.returncode == 0, result.stderr
    rows = len(expected)
    assert f"{sample} ({layout} layout): {rows:,} rows ready, 0 invalid" in result.stderr
    assert f"imported {rows:,} of {rows:,} rows" in result.stderr
    assert not rejects.exists()

    with merchant.sdk() as sdk:
        created = {customer.email: customer for customer in sdk.customers.list(limit=100)}
    assert sorted(created) == sorted(expected)
    for email, want in expected.items():
        customer = created[email]
        got = Expected(
            name=customer.name,
            phone=customer.phone,
            address=(
                None
                if customer.address is None
                else {part: getattr(customer.address, part) for part in ADDRESS_PARTS}
            ),
            status=customer.status,
            custom_data=customer.custom_data,
            external_id=customer.external_id,
        )
        assert got == want, email
