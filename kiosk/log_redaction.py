"""Keeping ballot secrets out of the log: a logging filter that blanks anything shaped like a ballot token or a
verification code, and the value of any ``code=``/``token=``/``key=`` parameter.

The rule is that no token, verification code or choice is ever *written* to a log (receipts are not logged, URLs
carrying codes are not logged, secrets are kept out of reprs). This filter is the second line: it catches what a
future log line, a library's message or an exception's text would let through. It is installed on the root
logger's handlers by ``kiosk`` (the CLI), so it covers waitress, Flask and every module that propagates.

The shapes: ``ACD3-4EFG`` and ``ACD3-4EFG-HJ`` in any case (how they are printed and typed), the same without
dashes in upper case, and the same without dashes in lower case when they hold a digit (so plain English words
such as "gathered", which happen to use only token letters, stay readable).

>>> redact("receipt ACD3-4EFG printed, code acd3-4efg-hj, again ACD34EFGHJ")
'receipt [redacted] printed, code [redacted], again [redacted]'
>>> redact("GET /verify?code=hello&x=1 and the members gathered")
'GET /verify?code=[redacted]&x=1 and the members gathered'
"""

from __future__ import annotations

import logging
import re

from kiosk.tokens import ALPHABET

_LETTERS = re.escape(ALPHABET) + re.escape(ALPHABET.lower())
_GROUPED = re.compile(rf"(?<![\w-])[{_LETTERS}]{{4}}-[{_LETTERS}]{{4}}(?:-[{_LETTERS}]{{2}})?(?![\w-])")
_BARE_UPPER = re.compile(rf"(?<![\w-])[{re.escape(ALPHABET)}]{{8}}(?:[{re.escape(ALPHABET)}]{{2}})?(?![\w-])")
_BARE_LOWER = re.compile(rf"(?<![\w-])(?=[{_LETTERS}]*\d)[{_LETTERS}]{{8}}(?:[{_LETTERS}]{{2}})?(?![\w-])")
_PARAMETER = re.compile(r"(?i)\b(code|token|key|verification)=[^&\s\"']+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every token- or code-shaped word, and secret URL parameters, blanked."""
    text = _PARAMETER.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    for pattern in (_GROUPED, _BARE_UPPER, _BARE_LOWER):
        text = pattern.sub(REDACTED, text)
    return text


class RedactSecrets(logging.Filter):
    """Blanks token- and code-shaped text in a record's message and in its exception's traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let the handler report it as it would
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of ``logger`` (the root logger by default); calling it again is harmless."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
