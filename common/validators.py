"""Validators for untrusted text that reaches the database (PostgreSQL text rejects NUL bytes)."""

from django.core.exceptions import ValidationError


def no_control_chars(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("NUL bytes are not allowed.", code="null_characters_not_allowed")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValidationError("Invalid Unicode (lone surrogates).", code="invalid_unicode")
