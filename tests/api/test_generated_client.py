"""A client generated from the served ``/openapi.json`` with openapi-python-client works
against a real server and reads like the SDK (API.md section 1: operation ids are the
route names), on each database."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import fresh_database, running_cluster

PACKAGE = "mteja_generated"
GENERATOR_TIMEOUT = 300


def generate_client(base_url: str, workdir: Path) -> Path:
    """The client package generated from the server's document, in ``workdir``."""
    document = workdir / "openapi.json"
    document.write_bytes(httpx.get(f"{base_url}/openapi.json").content)
    config = workdir / "generator.yml"
    config.write_text(f"package_name_override: {PACKAGE}\nproject_name_override: mteja-generated\n")
    generator = Path(sys.executable).parent / "openapi-python-client"
    arguments = ["--path", str(document), "--config", str(config), "--meta", "none"]
    result = subprocess.run(
        [str(generator), "generate", *arguments, "--output-path", str(workdir / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=GENERATOR_TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    assert "Unable to" not in output, output
    return workdir / PACKAGE


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Any]:
    """Imports modules of the generated package from ``tmp_path``, and forgets them after."""
    sys.path.insert(0, str(tmp_path))

    def load(name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.{name}")

    try:
        yield load
    finally:
        sys.path.remove(str(tmp_path))
        for name in [module for module in sys.modules if module.split(".")[0] == PACKAGE]:
            del sys.modules[name]


async def test_a_generated_client_reads_like_the_sdk_and_drives_the_api(
    backend: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, imported: Any
) -> None:
    async with fresh_database(backend, tmp_path_factory, "generated-client") as url:
        with running_cluster(url, tmp_path, 1, "Generated client") as cluster:
            package = generate_client(cluster.base_urls[0], tmp_path)
            functions = {path.stem for path in package.glob("api/*/*.py")} - {"__init__"}
            # The route names, as the SDK names the calls; never FastAPI's default ids.
            assert {
                "create_customer",
                "get_customer",
                "list_customers",
                "update_customer",
                "merge_customers",
                "list_customer_addresses",
                "create_customer_payment_method",
            } <= functions
            assert not [name for name in functions if "api_v1" in name], functions
            models = {path.stem for path in package.glob("models/*.py")}
            assert not [name for name in models if "api_v1" in name], models

            client_module = imported("client")
            customers = {
                name: imported(f"api.customers.{name}")
                for name in ("create_customer", "get_customer", "list_customers")
            }
            models_module = imported("models")
            client = client_module.AuthenticatedClient(
                base_url=cluster.base_urls[0], token=cluster.api_key
            )
            with client as http:
                body = models_module.CustomerCreate(name="Asha Mwinyi", email="asha@example.co.tz")
                created = customers["create_customer"].sync(client=http, body=body)
                assert isinstance(created, models_module.CustomerOut)
                assert created.email == "asha@example.co.tz"
                assert created.id.startswith("cus_")

                fetched = customers["get_customer"].sync(created.id, client=http)
                assert isinstance(fetched, models_module.CustomerOut)
                assert fetched.to_dict() == created.to_dict()

                listed = customers["list_customers"].sync(client=http, limit=10)
                assert [customer.id for customer in listed.data] == [created.id]
                assert listed.has_more is False

                missing = customers["get_customer"].sync_detailed(
                    "cus_01h3vjs3b16yc3f9q8q9pfrb78", client=http
                )
                assert missing.status_code == 404
                assert isinstance(missing.parsed, models_module.ErrorOut)
                assert missing.parsed.error.code == "resource_missing"

                duplicate = customers["create_customer"].sync_detailed(client=http, body=body)
                assert duplicate.status_code == 409
                assert duplicate.parsed.error.code == "customer_already_exists"
