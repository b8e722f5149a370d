"""SM2 seals, SM3 digests and SM4 key wrapping, through Tongsuo (``tongsuopy``).

Why Tongsuo (docs/licenses.md): its wheel bundles the Tongsuo library (the OpenSSL fork that
carries China's SM algorithms), so signing runs in C with OpenSSL's random generator for the
per-signature nonce — no nonce ever comes from Python's ``random``. Our signatures are checked
in the tests against two independent pure-Python implementations (gmssl and snowland-smx) and
against the GM/T 0003.5 / GB/T 32918.5 example signature.

Conventions, fixed here once:

* digest: SM3 over the canonical content bytes, 64 hex digits;
* signature: SM2 with SM3 over the content bytes *with* the Z value of GM/T 0003.2 computed
  from the default user ID ``1234567812345678`` (GM/T 0009) — what Tongsuo does by default;
  stored as ``r || s``, 64 bytes, 128 hex digits;
* public key: the uncompressed point ``04 || x || y``, 130 hex digits;
* private key at rest: the 32-byte scalar, encrypted with SM4-GCM under a key derived from
  ``SECRET_KEY`` (see :func:`wrap_private_key`).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from tongsuopy.crypto import exceptions as tongsuo_exceptions
from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.asymciphers.utils import encode_dss_signature
from tongsuopy.crypto.ciphers.aead import SM4GCM

DEFAULT_USER_ID = b"1234567812345678"
_WRAP_LABEL = b"xiaoneng/licenses/seal-key-wrap/v1\x00"
_WRAP_PREFIX = "sm4gcm1:"
_NONCE_BYTES = 12


class KeyUnwrapError(Exception):
    """The sealed private key does not open with this SECRET_KEY (changed, or data damaged)."""


def sm3_hex(data: bytes) -> str:
    """The SM3 digest (GB/T 32905) of ``data``, 64 lowercase hex digits."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


@dataclass(frozen=True)
class KeyPair:
    """An SM2 key pair: the private scalar and the public point, both as hex."""

    private_hex: str
    public_hex: str


def generate_key_pair() -> KeyPair:
    """A new SM2 key pair from Tongsuo's generator."""
    key = ec.generate_private_key(ec.SM2())
    scalar = key.private_numbers().private_value
    return KeyPair(private_hex=f"{scalar:064x}", public_hex=_public_hex(key.public_key()))


def _public_hex(public_key: ec.EllipticCurvePublicKey) -> str:
    point = public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return bytes(point).hex()


def public_key_of(private_hex: str) -> str:
    """The public point of a private scalar, as stored."""
    return _public_hex(ec.derive_private_key(int(private_hex, 16), ec.SM2()).public_key())


def key_fingerprint(public_hex: str) -> str:
    """A key's short name: the first 32 hex digits of SM3 over its public point."""
    return sm3_hex(bytes.fromhex(public_hex))[:32]


def sign(private_hex: str, message: bytes) -> str:
    """SM2-sign ``message`` (Z value with the default user ID); ``r || s`` as 128 hex digits."""
    key = ec.derive_private_key(int(private_hex, 16), ec.SM2())
    der = bytes(key.sign(message, ec.ECDSA(hashes.SM3())))
    r, s = _der_decode_signature(der)
    return f"{r:064x}{s:064x}"


def verify(public_hex: str, message: bytes, signature_hex: str) -> bool:
    """Whether ``signature_hex`` (``r || s``) is an SM2 signature of ``message`` by the key."""
    try:
        raw = bytes.fromhex(signature_hex)
        if len(raw) != 64:
            return False
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SM2(), bytes.fromhex(public_hex)
        )
        public_key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SM3()))
    except (ValueError, tongsuo_exceptions.InvalidSignature):
        return False
    return True


def _der_decode_signature(der: bytes) -> tuple[int, int]:
    """``SEQUENCE { INTEGER r, INTEGER s }`` → (r, s); SM2 signatures are short-form DER."""

    def integer(at: int) -> tuple[int, int]:
        if der[at] != 0x02:
            raise ValueError("expected an INTEGER in the DER signature")
        length = der[at + 1]
        start = at + 2
        return int.from_bytes(der[start : start + length], "big"), start + length

    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("expected a DER SEQUENCE as the signature")
    r, after_r = integer(2)
    s, after_s = integer(after_r)
    if after_s != len(der):
        raise ValueError("unexpected bytes after the DER signature")
    return r, s


def _wrapping_key(secret: str) -> bytes:
    # SECRET_KEY is high-entropy (production refuses a short or development key), so one SM3
    # over a domain-separated label is enough to derive a 128-bit SM4 key from it.
    return bytes.fromhex(sm3_hex(_WRAP_LABEL + secret.encode("utf-8")))[:16]


def wrap_private_key(private_hex: str, *, secret: str, binding: str) -> str:
    """Encrypt a private scalar for storage: SM4-GCM, random 96-bit nonce, ``binding`` as
    associated data (the key's fingerprint, so a sealed key cannot be moved to another row)."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = SM4GCM(_wrapping_key(secret)).encrypt(
        nonce, bytes.fromhex(private_hex), binding.encode("ascii")
    )
    return _WRAP_PREFIX + base64.b64encode(nonce + bytes(sealed)).decode("ascii")


def unwrap_private_key(wrapped: str, *, secret: str, binding: str) -> str:
    """The private scalar sealed by :func:`wrap_private_key`.

    Raises:
        KeyUnwrapError: wrong SECRET_KEY, another row's key, or damaged data.
    """
    if not wrapped.startswith(_WRAP_PREFIX):
        raise KeyUnwrapError(f"expected a value starting {_WRAP_PREFIX!r}")
    try:
        raw = base64.b64decode(wrapped[len(_WRAP_PREFIX) :], validate=True)
        plain = SM4GCM(_wrapping_key(secret)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], binding.encode("ascii")
        )
    except (ValueError, tongsuo_exceptions.InvalidTag) as exc:
        raise KeyUnwrapError("the sealed private key does not open with this SECRET_KEY") from exc
    return bytes(plain).hex()
