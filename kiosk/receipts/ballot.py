"""The ballot receipt: a verification code and where to check it; nothing on it names the voter."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kiosk.receipts.blocks import (
    QR,
    BigText,
    Feed,
    Heading,
    Line,
    Receipt,
    ReceiptKind,
    Row,
    Rule,
    check_columns,
    check_language,
)
from kiosk.receipts.charset import safe
from kiosk.receipts.wording import header, words
from kiosk.results import Choice


def _choice_label(choice: Choice | str | None, language: str) -> str:
    if choice is None:
        return words(language, "choice_abstain")
    return words(language, f"choice_{Choice(choice).value}")


def ranking_line(names: Sequence[str], language: str) -> str:
    """One contest's ranking as printed: "1. Ana Díaz  2. Luis Ortega", or that nothing was ranked."""
    if not names:
        return words(language, "not_ranked")
    return "  ".join(f"{rank}. {safe(name)}" for rank, name in enumerate(names, start=1))


def ballot_receipt(
    *,
    organization: str,
    meeting_title: str,
    verification_code: str,
    verify_url: str,
    choices: Iterable[tuple[str, Choice]] | None,
    language: str,
    columns: int,
    reprint: bool = False,
    rankings: Iterable[tuple[str, Sequence[str]]] | None = None,
) -> Receipt:
    """The receipt after voting: a verification code and where to check it. Nothing on it names the voter; the
    per-plank choices and each contest's ranking ("1. Ana 2. Luis") appear only when given (the meeting decides
    with its "show choices on the receipt" setting)."""
    check_language(language)
    check_columns(columns)
    code = safe(verification_code, limit=40)
    url = safe(verify_url, limit=400).replace(" ", "")
    if not code or not url:
        raise ValueError("a ballot receipt needs a verification code and a verify URL")
    blocks = header(organization, meeting_title, language, reprint)
    blocks += [
        Rule(),
        Heading(words(language, "ballot_title")),
        Line(words(language, "ballot_recorded"), align="center"),
        Feed(1),
        Line(words(language, "verification"), bold=True, align="center"),
        BigText(code),
        QR(url),
        Line(words(language, "verify_at"), align="center"),
        Line(url, align="center"),
    ]
    if choices is not None:
        blocks += [Rule(), Line(words(language, "your_choices"), bold=True)]
        for position, (title, choice) in enumerate(choices, start=1):
            blocks.append(Row(f"{position}. {safe(title)}", _choice_label(choice, language)))
    ranked = list(rankings or ())
    if ranked:
        blocks += [Rule(), Line(words(language, "your_rankings"), bold=True)]
        for title, names in ranked:
            blocks += [Line(safe(title), bold=True), Line(ranking_line(names, language))]
    blocks += [Rule(), Line(words(language, "no_name"), align="center")]
    if reprint:
        blocks.append(Heading(words(language, "reprint")))
    return Receipt(ReceiptKind.BALLOT, language, columns, tuple(blocks))
