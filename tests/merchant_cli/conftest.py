"""The merchant CLI (``mteja customers …``, ``mteja events tail``) as a merchant runs it:
the installed console script, in a process of its own, against the real ``mteja serve``
per backend that the SDK's tests use too (``sdk_server``). Every test gets an account
(and key) of its own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mteja_client import Mteja
from tests.servers import SdkServer, mteja_command

CLI_TIMEOUT = 300.0


@dataclass(frozen=True)
class Merchant:
    """One account's key, and the CLI and SDK pointed at it."""

    account_id: str
    api_key: str
    base_url: str
    workdir: Path

    def env(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("MTEJA_")}
        env.update(
            MTEJA_API_KEY=self.api_key,
            MTEJA_API_URL=self.base_url,
            NO_COLOR="1",
            COLUMNS="200",
        )
        return env

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*mteja_command(), *args],
            env=self.env(),
            cwd=self.workdir,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*args)
        assert result.returncode == 0, f"mteja {' '.join(args)}: {result.stderr}"
        return result

    def start(self, *args: str, log: str) -> subprocess.Popen[str]:
        with (self.workdir / log).open("w") as output:
            return subprocess.Popen(
                [*mteja_command(), *args],
                env=self.env(),
                cwd=self.workdir,
                stdout=subprocess.PIPE,
                stderr=output,
                text=True,
            )

    def sdk(self) -> Mteja:
        return Mteja(api_key=self.api_key, base_url=self.base_url)


async def new_merchant(server: SdkServer, workdir: Path) -> Merchant:
    account_id, api_key = await server.new_account()
    return Merchant(account_id, api_key, server.base_url, workdir)


@pytest.fixture
async def merchant(sdk_server: SdkServer, tmp_path: Path) -> Merchant:
    return await new_merchant(sdk_server, tmp_path)


@pytest.fixture
def sdk(merchant: Merchant) -> Iterator[Mteja]:
    with merchant.sdk() as client:
        yield client
