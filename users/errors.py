from enum import StrEnum


class UserErrorCode(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    PASSWORD_MISMATCH = "password_mismatch"
    WRONG_PASSWORD = "wrong_password"
    TOKEN_NOT_VALID = "token_not_valid"
    UNIQUE = "unique"
