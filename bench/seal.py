#!/usr/bin/env python
"""The provider's seal (P6) against the bare pyHanko floor, and the rest of a filing's document work, measured in
one process and one run (issue 23; design.md §7: only same-run ratios mean anything on these machines).

    python bench/seal.py [--rounds N] [--json PATH]

Every figure is CPU seconds of this process per operation (``time.process_time``), the median of ``--rounds``:

- ``seal``: ``verification.forms.Sealer.seal`` on the bureau's copy of the verification form, as the service runs
  it (key loaded and checked at start-up, the signature's space fixed then);
- ``floor``: bare pyHanko on the same PDF: ``signers.sign_pdf`` with a signer whose key was parsed before timing and
  the same space reserved (no estimate), nothing else of the project's code;
- ``pyhanko_default``: what the project did before issue 23, for reference: ``SimpleSigner.load``'s signer, which
  parses and checks the key for every signature, and pyHanko's estimate, which signs a dummy first;
- ``render``: the three documents of a filing (two copies of the form with the photo's thumbnail, the agreement);
- ``bureau_check``: the bureau's seal check of one sealed copy (``bureau.forms.check_form``, trust parsed once).

Ends with one line per target, ``target NAME: VALUE (goal ≤ LIMIT) met|missed``, and the report as JSON.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import statistics
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "services" / "verification", REPO / "services" / "bureau"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
warnings.filterwarnings("ignore", message=r"\s*eventlet is deprecated")

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15  # noqa: E402
from meters import emit, target  # noqa: E402
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from pyhanko_certvalidator.util import get_pyca_cryptography_hash  # noqa: E402

from bureau import forms as bureau_forms  # noqa: E402
from shared.testing.faces import backdrop_photo  # noqa: E402
from verification import forms, photos  # noqa: E402
from verification.dependencies import DEV_SEAL  # noqa: E402

KEY, CERT = DEV_SEAL / "dev_seal_key.pem", DEV_SEAL / "dev_seal_cert.pem"
SEAL_GOAL = 1.3  # each seal ≤ 1.3× its bare floor (issue 23)
AGREEMENT = {"sponsor_name": "北京示例网络科技有限公司", "provider_id": "provider-demo", "filing_id": "f-1",
             "version": 1,
             "signed_by": "张三", "signed_at": "2026-11-10T09:40:00+08:00", "signature_sha256": "ab" * 32,
             "witnessed_by": "staff:v1"}


def form_content() -> dict:
    """The verification unit tests' form content (one place for what a form holds)."""
    spec = importlib.util.spec_from_file_location(
        "verification_form_sample", REPO / "services" / "verification" / "tests" / "unit" / "test_forms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CONTENT


class FloorSigner(signers.SimpleSigner):
    """The floor: pyHanko's in-memory signer with its key parsed once, before timing."""

    def __init__(self):
        super().__init__(signing_cert=load_cert_from_pemder(str(CERT)),
                         signing_key=load_private_key_from_pemder(str(KEY), passphrase=None), cert_registry=None)
        self.key = serialization.load_der_private_key(self.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        return self.key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


def sign(pdf: bytes, signer, bytes_reserved: int | None) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name=forms.SIGNATURE_FIELD, reason="核验单", location="接入服务单位")
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer,
                            bytes_reserved=bytes_reserved).getvalue()


def cpu_per_op(fn, rounds: int) -> dict:
    fn()  # warm
    samples = []
    for _ in range(rounds):
        started = time.process_time()
        fn()
        samples.append(time.process_time() - started)
    return {"median_ms": round(statistics.median(samples) * 1000, 2), "min_ms": round(min(samples) * 1000, 2),
            "max_ms": round(max(samples) * 1000, 2), "rounds": rounds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    content = form_content()
    thumb = photos.thumbnail(backdrop_photo())
    pdf = forms.render_form(content, "bureau", thumb)
    sealer = forms.Sealer(KEY, CERT)
    floor_signer = FloorSigner()
    default_signer = signers.SimpleSigner.load(str(KEY), str(CERT))
    trust = bureau_forms.load_trusted([str(CERT)])
    project_sealed = sealer.seal(pdf, "核验单")
    digest = hashlib.sha256(project_sealed).hexdigest()
    assert bureau_forms.check_form(project_sealed, digest, trust).valid

    report = {
        "seal": cpu_per_op(lambda: sealer.seal(pdf, "核验单"), args.rounds),
        "floor": cpu_per_op(lambda: sign(pdf, floor_signer, sealer.bytes_reserved), args.rounds),
        "pyhanko_default": cpu_per_op(lambda: sign(pdf, default_signer, None), args.rounds),
        "render": cpu_per_op(lambda: (forms.render_form(content, "provider", thumb),
                                      forms.render_form(content, "bureau", thumb),
                                      forms.render_agreement(AGREEMENT)), args.rounds),
        "bureau_check": cpu_per_op(lambda: bureau_forms.check_form(project_sealed, digest, trust), args.rounds),
        "pdf_bytes": len(pdf), "sealed_bytes": len(project_sealed), "bytes_reserved": sealer.bytes_reserved,
    }
    ratio = report["seal"]["median_ms"] / report["floor"]["median_ms"]
    report["seal_vs_floor"] = round(ratio, 2)
    print(f"{'operation':18} {'median ms':>10} {'min':>8} {'max':>8}   CPU per operation")
    for name in ("seal", "floor", "pyhanko_default", "render", "bureau_check"):
        row = report[name]
        print(f"{name:18} {row['median_ms']:10.2f} {row['min_ms']:8.2f} {row['max_ms']:8.2f}")
    print(f"three seals: {3 * report['seal']['median_ms']:.1f} ms (floor {3 * report['floor']['median_ms']:.1f} ms, "
          f"before issue 23 {3 * report['pyhanko_default']['median_ms']:.1f} ms)")
    print(target("seal_vs_floor", ratio, SEAL_GOAL))
    emit(report, args.json)
    return 0 if ratio <= SEAL_GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
