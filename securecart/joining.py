"""Joining a room with a short code and a nickname: the rules a class and a live quiz room share.

- **Codes** are six characters from an alphabet without 0/O and 1/I (they are read off a projector). What a phone
  sends is normalised once, here: NFKC (a full-width "ＡＢＣ" from a phone keyboard is "ABC"), spaces and dashes
  dropped, upper case. `is_join_code` says whether the result can be a code at all, so nothing malformed reaches
  the database.
- **Nicknames** are 1-24 printable characters after NFKC and whitespace folding. Two nicknames in one room must not
  look alike: "аlice" with a Cyrillic а, "a1ice" or "ALICE" beside "alice" is refused. Look-alike characters come
  from Unicode's confusables data as the `confusable-homoglyphs` package ships it (UTS #39), not from a table of
  our own: characters it lists as confusable form one class, and each class is written as one representative
  (its ASCII lowercase letter when it has one), which is UTS #39's "skeleton" idea. Case is folded before and
  after, so both "ALICE" and "aIice" (capital I) meet "alice".
- **QR codes** of join links, as inline SVG (no image files, no inline style: the CSP allows neither).
"""
from __future__ import annotations

import secrets
import unicodedata
from functools import lru_cache
from typing import Callable, Iterable

import segno
from confusable_homoglyphs.confusables import confusables_data
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read off a projector
CODE_LENGTH = 6
CODE_INPUT_MAX = 16        # what a join form accepts: a code typed with spaces or a dash, e.g. "abc-def"
NICKNAME_MAX = 24
NICKNAME_INPUT_MAX = 64    # the form's limit; the nickname itself is checked against NICKNAME_MAX after folding


class NicknameError(ValueError):
    """A nickname the room cannot take, with a message for the person who typed it."""


def normalize_code(raw: object) -> str:
    """What a person typed as a code, as the code it means (see `is_join_code` for whether it can be one)."""
    text = unicodedata.normalize("NFKC", str(raw or ""))[:CODE_INPUT_MAX * 2]
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").upper()[:CODE_INPUT_MAX]


def is_join_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def new_code(taken: Callable[[str], bool]) -> str:
    """A random code that `taken` says is free (32^6 ≈ 10^9 codes: a clash is rare, a retry cheap)."""
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not taken(code):
            return code
    raise RuntimeError("could not find a free join code")


def clean_nickname(raw: object) -> str:
    """The nickname as it will be shown: NFKC, inner whitespace collapsed, 1-24 characters, no control or format
    characters (zero-width joiners and bidi overrides would let two names look alike or reorder a leaderboard)."""
    text = " ".join(unicodedata.normalize("NFKC", str(raw or "")[:NICKNAME_INPUT_MAX * 2]).split())
    if not text:
        raise NicknameError("Enter a nickname.")
    if len(text) > NICKNAME_MAX:
        raise NicknameError(f"Nicknames can be at most {NICKNAME_MAX} characters.")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise NicknameError("Nicknames cannot contain control characters or invisible formatting characters.")
    return text


@lru_cache(maxsize=1)
def _representatives() -> dict[str, str]:
    """Character -> the representative of its class of look-alikes (single characters only)."""
    parent: dict[str, str] = {}
    seen: set[str] = set()

    def find(ch: str) -> str:
        while parent.get(ch, ch) != ch:
            parent[ch] = parent.get(parent[ch], parent[ch])
            ch = parent[ch]
        return ch

    for char, homoglyphs in confusables_data.items():
        if len(char) != 1:
            continue
        for glyph in homoglyphs:
            other = glyph["c"]
            if len(other) == 1:
                seen.update((char, other))
                a, b = find(char), find(other)
                if a != b:
                    parent[b] = a
    classes: dict[str, list[str]] = {}
    for ch in seen:
        classes.setdefault(find(ch), []).append(ch)

    def preference(ch: str) -> tuple[int, str]:
        # a readable representative: an ASCII lowercase letter, then uppercase, then a digit, then anything ASCII
        rank = 0 if "a" <= ch <= "z" else 1 if "A" <= ch <= "Z" else 2 if ch.isdigit() and ch.isascii() else \
            3 if ch.isascii() else 4
        return rank, ch

    return {ch: min(members, key=preference) for members in classes.values() for ch in members}


def _skeleton(text: str) -> str:
    table = _representatives()
    return "".join(table.get(ch, ch) for ch in text)


@lru_cache(maxsize=4096)
def nickname_keys(nickname: str) -> frozenset[str]:
    """What a nickname looks like, ignoring case and look-alike characters: two nicknames that share a key are
    confusable. Two keys because case and look-alikes do not commute ("ALICE" folds to "alice"; "aIice" has a
    capital I that only looks like "l" before folding)."""
    text = unicodedata.normalize("NFKC", nickname)
    return frozenset({_skeleton(text.casefold()).casefold(), _skeleton(text).casefold()})


def confusable_with(nickname: str, others: Iterable[str]) -> str | None:
    """The first of `others` that looks like `nickname` (same letters, case or look-alike characters aside)."""
    mine = nickname_keys(nickname)
    for other in others:
        if mine & nickname_keys(other):
            return other
    return None


def nickname_taken(nickname: str, others: Iterable[str], where: str) -> str | None:
    """Why `nickname` cannot join `where` ("this class", "this room") beside `others`, or None when it can."""
    clash = confusable_with(nickname, others)
    if clash is None:
        return None
    if clash.casefold() == nickname.casefold():
        return f"That nickname is already taken in {where}; pick another."
    return f"That nickname looks too much like “{clash}”, already in {where}; pick another."


@lru_cache(maxsize=512)
def qr_svg(url: str, label: str, *, scale: int = 5) -> SafeString:
    """`url` as an inline SVG QR code with an accessible name; CSS sizes it (e.g. 400 px on a projector). Cached:
    a student's own link or a room's join link is drawn once, not on every page load (~3 ms each)."""
    svg = segno.make_qr(url).svg_inline(scale=scale, border=2, dark="#1b1f24", light="#ffffff", title=label,
                                        omitsize=True)   # a viewBox, no fixed size: CSS scales it
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))
