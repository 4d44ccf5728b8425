"""pyHanko's verification of the firma bench files, as an anchor for `cargo bench -p firma`.

Each iteration does what one `firma::verify` call does for an attached CAdES file: parse the
envelope, check the content digest, the signed attributes' signature and the signing
certificate, and validate the path to the test root at 2030-01-01 (no revocation fetching).
Two ways: a fresh validation context per file (`fresh`: nothing is reused between files), and
one context for all files (`shared`: pyHanko keeps the paths it has validated, as firma keeps
the parsed anchors and the verified CA-certificate signatures per thread). Prints the median
and the best of N timed iterations per file, after a warm-up, and the CPU time of the whole
loop per file (time.process_time), which other processes disturb less.

    python3 bench/firma/pyhanko_verify.py [ITERATIONS]
"""

import asyncio
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import cms, x509
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature
from pyhanko_certvalidator import ValidationContext

FIXTURES = Path(__file__).resolve().parents[2] / "crates" / "firma" / "tests" / "fixtures"
FILES = [("rsa2048", "bench_rsa_50k.p7m"), ("p256", "bench_ec_50k.p7m")]
AT = datetime(2030, 1, 1, tzinfo=timezone.utc)


def new_context(root: x509.Certificate) -> ValidationContext:
    return ValidationContext(
        trust_roots=[root], moment=AT, allow_fetching=False, revocation_mode="soft-fail"
    )


async def verify_once(data: bytes, root: x509.Certificate, shared) -> bool:
    content_info = cms.ContentInfo.load(data)
    signed_data = content_info["content"]
    context = shared or new_context(root)
    status = await async_validate_cms_signature(signed_data, validation_context=context)
    return status.intact and status.valid and status.trusted


async def main() -> None:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    root = x509.Certificate.load((FIXTURES / "root.der").read_bytes())
    for (label, name), mode in [(f, m) for m in ("fresh", "shared") for f in FILES]:
        data = (FIXTURES / name).read_bytes()
        shared = new_context(root) if mode == "shared" else None
        for _ in range(max(10, iterations // 10)):
            assert await verify_once(data, root, shared), f"{name} must verify"
        times = []
        cpu_start = time.process_time()
        for _ in range(iterations):
            start = time.perf_counter()
            await verify_once(data, root, shared)
            times.append(time.perf_counter() - start)
        cpu = (time.process_time() - cpu_start) / iterations
        print(
            f"pyhanko_verify/{label}/{mode}: median {statistics.median(times) * 1e3:.2f} ms, "
            f"best {min(times) * 1e3:.2f} ms, CPU {cpu * 1e3:.2f} ms per file "
            f"({iterations} files)"
        )


asyncio.run(main())
