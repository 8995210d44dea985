import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from qyzmet.signatures.authority import ca_row
from qyzmet.signatures.services import pki_init

requires_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI absent")


@pytest.fixture
def pki(db):
    pki_init()


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["openssl", *args], capture_output=True, text=True, check=check, timeout=30
    )


def pem_of(row) -> bytes:
    from cryptography import x509

    return x509.load_der_x509_certificate(bytes(row.der)).public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def pki_files(pki, tmp_path) -> dict[str, Path]:
    """Our root and issuing CA certificates as PEM files, for the openssl CLI."""
    files = {}
    for code in ("root", "citizens", "officials", "seals", "services"):
        path = tmp_path / f"{code}.pem"
        path.write_bytes(pem_of(ca_row(code)))
        files[code] = path
    return files


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; one test checks the Kazakh and Russian catalogues."""
    from django.utils import translation

    with translation.override("en"):
        yield
