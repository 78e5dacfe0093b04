"""Key pairs for the demo's asymmetric JWT routes (RS*/PS*, ES256, ES384, EdDSA), made once with
the ``openssl`` command into ``examples/demo/.jwt-keys/`` (not committed: generated on first use).

``<kind>.key`` is the private key (PKCS#8 PEM, what ``_native.jwt_encode`` signs with) and
``<kind>.pub`` the public key (SPKI PEM, what ``JWTAuthentication(public_key=...)`` verifies with).
The set is written to a temporary folder and renamed into place, so two processes starting at
once both end up reading the same, complete set.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

KEYS_DIR = Path(__file__).resolve().parent.parent / ".jwt-keys"

# kind -> `openssl genpkey` arguments
KINDS = {
    "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ed25519": ["-algorithm", "ED25519"],
}


def _complete(folder: Path) -> bool:
    return all((folder / f"{k}.key").is_file() and (folder / f"{k}.pub").is_file() for k in KINDS)


def ensure_keys() -> Path | None:
    """The folder holding every key pair (made now if missing); None without ``openssl``."""
    if _complete(KEYS_DIR):
        return KEYS_DIR
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    tmp = Path(tempfile.mkdtemp(prefix=".jwt-keys-", dir=KEYS_DIR.parent))
    try:
        for kind, args in KINDS.items():
            key, pub = tmp / f"{kind}.key", tmp / f"{kind}.pub"
            subprocess.run([openssl, "genpkey", *args, "-out", str(key)], check=True, capture_output=True)
            subprocess.run(
                [openssl, "pkey", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True
            )
        try:
            tmp.rename(KEYS_DIR)  # atomic; fails when another process got there first
        except OSError:
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return KEYS_DIR if _complete(KEYS_DIR) else None


def public_key(kind: str) -> bytes:
    return (KEYS_DIR / f"{kind}.pub").read_bytes()
