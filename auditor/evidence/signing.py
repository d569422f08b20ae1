"""ed25519 keys for evidence manifests: loading, fingerprints, signing and verifying.

Keys are read in PEM (PKCS #8 private, SubjectPublicKeyInfo public), as created by
``openssl genpkey -algorithm ed25519`` and ``openssl pkey -pubout``, or in OpenSSH
format (``ssh-keygen -t ed25519``). Encrypted private keys are not supported, because
a scheduled run cannot prompt for a passphrase.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditor.errors import ConfigError


def _read(path: Path, description: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{description} {path} could not be read: {exc.strerror or exc}") from exc


def load_private_key(path: Path) -> Ed25519PrivateKey:
    data = _read(path, "signing key")
    key: object
    try:
        if data.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:
        raise ConfigError(f"signing key {path} is encrypted", hint="use an unencrypted ed25519 key") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ConfigError(
            f"signing key {path} is not a valid PEM or OpenSSH private key: {exc}",
            hint="create one with: openssl genpkey -algorithm ed25519 -out evidence-signing.pem",
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"signing key {path} is a {type(key).__name__}, not an ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    return parse_public_key(_read(path, "public key"), str(path))


def parse_public_key(data: bytes, name: str) -> Ed25519PublicKey:
    """Parse a PEM or OpenSSH ed25519 public key; raises ConfigError naming ``name``."""
    key: object
    try:
        if data.lstrip().startswith(b"ssh-"):
            key = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"public key {name} is not a valid PEM or OpenSSH public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"public key {name} is a {type(key).__name__}, not an ed25519 key")
    return key


def raw_public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the 32 raw public key bytes, in hex.

    This differs from ``ssh-keygen -l``, which hashes the OpenSSH key blob; compute it
    with ``openssl pkey -pubin -in KEY -outform DER | tail -c 32 | sha256sum``.
    """
    return hashlib.sha256(raw_public_bytes(key)).hexdigest()


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def signature_valid(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def ensure_signing_key(path: Path) -> Path:
    """Create an unencrypted ed25519 key at ``path`` (owner-only) and its ``.pub`` unless one exists.

    The demo uses it; an operator creates a key with openssl or ssh-keygen instead.
    """
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        path.with_name(path.name.removesuffix(".pem") + ".pub").write_bytes(public_pem(key.public_key()))
    return path
