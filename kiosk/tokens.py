"""Ballot tokens and verification codes: short, typeable, unguessable, with no look-alike characters.

The alphabet leaves out 0/O/Q, 1/I/L, 2/Z, 5/S and 8/B, so a token read off a receipt and typed on a number
pad or keyboard comes out right; lower case, spaces and dashes are accepted and ignored.

>>> normalize_code(" acd3-4efg ")
'ACD34EFG'
>>> len(new_token()), new_token()[4]
(9, '-')

What the database keeps of a token is a keyed hash (HMAC-SHA256) under a secret kept outside the database
(``<data_dir>/token-key``, see ``kiosk.token_key``): 24**8 tokens are few enough that an unkeyed hash is
reversed by trying them all (about 11 core-hours), so a copy of the database alone must not be enough.

>>> keyed = token_hash("ACD3-4EFG", b"k" * 32)
>>> keyed.startswith(KEYED_PREFIX), len(keyed), keyed == token_hash("acd34efg", b"k" * 32)
(True, 64, True)
>>> token_hash("ACD3-4EFG", None) == legacy_token_hash("ACD3-4EFG")
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ACDEFGHJKMNPRTUVWXY34679"
TOKEN_LENGTH = 8  # 24**8 ≈ 1.1e11 possibilities against a few hundred live tokens
CODE_LENGTH = 10  # verification codes are looked up by anyone holding one: make them longer


def _random(length: int) -> str:
    # One draw from the OS generator for the whole code (uniform over all 24**length codes), rather than one
    # system call per character: this runs inside every ballot's write transaction.
    number = secrets.randbelow(len(ALPHABET) ** length)
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars)


def _group(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def new_token() -> str:
    """A fresh ballot token, grouped for reading aloud: ``ACD3-4EFG``."""
    return _group(_random(TOKEN_LENGTH))


def new_verification_code() -> str:
    """A fresh ballot verification code: ``ACD3-4EFG-HJ``."""
    return _group(_random(CODE_LENGTH))


def normalize_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch not in " -\t\r\n")


# Keyed hashes are marked so they can never be mistaken for the unkeyed ones of an older version (64 hex
# digits, no colon): "h:" and the first 62 hex digits of the HMAC (248 bits) fill the same 64-character column.
KEYED_PREFIX = "h:"


def token_hash(token: str, key: bytes | None) -> str:
    """What the database keeps of a token (the token itself is only on the receipt).

    ``key`` None gives the unkeyed hash of versions before the token key (tests and benchmarks that do not
    care; every kiosk process passes its key).
    """
    if key is None:
        return legacy_token_hash(token)
    digest = hmac.new(key, normalize_code(token).encode("ascii", "replace"), hashlib.sha256).hexdigest()
    return KEYED_PREFIX + digest[:62]


def legacy_token_hash(token: str) -> str:
    """The unkeyed SHA-256 older versions stored; still matched, so a meeting open across an upgrade goes on."""
    return hashlib.sha256(normalize_code(token).encode("ascii", "replace")).hexdigest()
