"""Ballot tokens and verification codes: short, typeable, unguessable, with no look-alike characters.

The alphabet leaves out 0/O/Q, 1/I/L, 2/Z, 5/S and 8/B, so a token read off a receipt and typed on a number
pad or keyboard comes out right; lower case, spaces and dashes are accepted and ignored.

>>> normalize_code(" acd3-4efg ")
'ACD34EFG'
>>> len(new_token()), new_token()[4]
(9, '-')
>>> looks_like_token("ACD3-4EFG"), looks_like_token("HELLO")
(True, False)
"""

from __future__ import annotations

import hashlib
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


def looks_like_token(text: str) -> bool:
    code = normalize_code(text)
    return len(code) == TOKEN_LENGTH and all(ch in ALPHABET for ch in code)


def token_hash(token: str) -> str:
    """What the database keeps of a token (the token itself is only on the receipt)."""
    return hashlib.sha256(normalize_code(token).encode("ascii", "replace")).hexdigest()
