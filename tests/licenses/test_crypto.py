"""SM2/SM3/SM4 through Tongsuo, checked against published examples and against two
independent pure-Python implementations (gmssl and snowland-smx)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes as cryptography_hashes
from gmssl import func as gmssl_func
from gmssl import sm2 as gmssl_sm2
from gmssl import sm3 as gmssl_sm3
from hypothesis import given, settings
from hypothesis import strategies as st
from pysmx.SM2 import Sign as snowland_sign
from pysmx.SM2 import Verify as snowland_verify

from xiaoneng.licenses import crypto

# GB/T 32905-2016 Appendix A: SM3("abc") and SM3("abcd" * 16).
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]

# The SM2 signature example on the recommended curve, with the default user ID
# 1234567812345678 (GM/T 0003.5-2012 / GB/T 32918.5-2016 Annex A, as used by OpenSSL's tests).
VECTOR_D = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
VECTOR_P = (
    "04"
    "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
)
VECTOR_K = "59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21"
VECTOR_MESSAGE = b"message digest"
VECTOR_SIGNATURE = (
    "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
    "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa"
)


def _gmssl_sm3(data: bytes) -> str:
    return str(gmssl_sm3.sm3_hash(gmssl_func.bytes_to_list(data)))


def _cryptography_sm3(data: bytes) -> str:
    digest = cryptography_hashes.Hash(cryptography_hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


@pytest.mark.parametrize(("data", "expected"), SM3_VECTORS)
def test_sm3_matches_the_standard_examples(data, expected):
    """SM3 gives the GB/T 32905 example digests."""
    assert crypto.sm3_hex(data) == expected


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_sm3_agrees_with_cryptography_and_gmssl(data):
    """Tongsuo's SM3 equals pyca/cryptography's and gmssl's on any input."""
    ours = crypto.sm3_hex(data)
    assert ours == _cryptography_sm3(data)
    assert ours == _gmssl_sm3(data)


def test_the_standard_example_key_pair_matches():
    """The example private key gives the example public point."""
    assert crypto.public_key_of(VECTOR_D) == VECTOR_P


def test_the_standard_example_signature_verifies():
    """Our verifier accepts the published example signature, and refuses it for another text."""
    assert crypto.verify(VECTOR_P, VECTOR_MESSAGE, VECTOR_SIGNATURE)
    assert not crypto.verify(VECTOR_P, b"message digesT", VECTOR_SIGNATURE)


def _gmssl_checker(public_hex: str, private_hex: str = "") -> gmssl_sm2.CryptSM2:
    """gmssl's verifier for an uncompressed point ``04‖X‖Y``.

    gmssl strips a leading "04" with ``lstrip("04")``, which also eats any 0 and 4 digits that
    begin X (one key in eight); the point is set after construction to keep X whole.
    """
    checker = gmssl_sm2.CryptSM2(private_key=private_hex, public_key=public_hex[2:])
    checker.public_key = public_hex[2:]
    return checker


def test_gmssl_checker_keeps_a_point_whose_x_begins_with_zero_or_four():
    """A point whose X starts with 0 or 4 reaches gmssl whole (128 hex digits)."""
    point = "04" + "04" + "ab" * 31 + "cd" * 32
    assert _gmssl_checker(point).public_key == point[2:]
    assert len(_gmssl_checker(point).public_key) == 128


def test_the_second_implementations_reproduce_the_standard_example():
    """With the example nonce, snowland-smx and gmssl produce the published signature, so they
    are fit to judge ours."""
    signed = snowland_sign(VECTOR_MESSAGE, VECTOR_D, VECTOR_K, 64, uid=crypto.DEFAULT_USER_ID)
    assert signed.hex() == VECTOR_SIGNATURE
    checker = _gmssl_checker(VECTOR_P, VECTOR_D)
    assert checker.verify_with_sm3(VECTOR_SIGNATURE, VECTOR_MESSAGE)


@settings(max_examples=15, deadline=None)
@given(st.binary(min_size=0, max_size=500))
def test_our_signatures_verify_in_gmssl_and_snowland(message):
    """Tongsuo's SM2 signature (Z with the default ID, r‖s) verifies in both other libraries."""
    pair = crypto.generate_key_pair()
    signature = crypto.sign(pair.private_hex, message)
    assert len(signature) == 128
    gm = _gmssl_checker(pair.public_hex)
    assert gm.verify_with_sm3(signature, message)
    assert snowland_verify(signature, message, pair.public_hex[2:], 64, uid=b"1234567812345678")


def test_signatures_of_another_message_or_key_do_not_verify():
    """A changed message, another key or a changed signature all fail, in ours and in gmssl."""
    pair, other = crypto.generate_key_pair(), crypto.generate_key_pair()
    signature = crypto.sign(pair.private_hex, b"content")
    assert crypto.verify(pair.public_hex, b"content", signature)
    assert not crypto.verify(pair.public_hex, b"contenT", signature)
    assert not crypto.verify(other.public_hex, b"content", signature)
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert not crypto.verify(pair.public_hex, b"content", flipped)
    assert not crypto.verify(pair.public_hex, b"content", "zz")
    gm = _gmssl_checker(pair.public_hex)
    assert not gm.verify_with_sm3(flipped, b"content")


def test_the_nonce_is_fresh_for_every_signature():
    """Two signatures of the same message differ (a repeated nonce would leak the key)."""
    pair = crypto.generate_key_pair()
    assert crypto.sign(pair.private_hex, b"same") != crypto.sign(pair.private_hex, b"same")


def test_private_keys_are_sealed_with_sm4_gcm_bound_to_their_fingerprint():
    """Wrapping round-trips; another secret or another binding does not open it."""
    pair = crypto.generate_key_pair()
    wrapped = crypto.wrap_private_key(pair.private_hex, secret="s" * 40, binding="fp1")
    assert pair.private_hex not in wrapped
    assert crypto.unwrap_private_key(wrapped, secret="s" * 40, binding="fp1") == pair.private_hex
    for secret, binding in [("t" * 40, "fp1"), ("s" * 40, "fp2")]:
        with pytest.raises(crypto.KeyUnwrapError):
            crypto.unwrap_private_key(wrapped, secret=secret, binding=binding)
    with pytest.raises(crypto.KeyUnwrapError):
        crypto.unwrap_private_key("plain", secret="s" * 40, binding="fp1")


def test_key_fingerprints_are_sm3_of_the_public_point():
    """A key's fingerprint is the first 32 hex digits of SM3 over its public point."""
    assert crypto.key_fingerprint(VECTOR_P) == crypto.sm3_hex(bytes.fromhex(VECTOR_P))[:32]
