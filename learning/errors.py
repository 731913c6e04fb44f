from enum import StrEnum


class LearningErrorCode(StrEnum):
    PREREQUISITES_INCOMPLETE = "prerequisites_incomplete"
    MAX_ATTEMPTS_REACHED = "max_attempts_reached"
    QUIZ_UNAVAILABLE = "quiz_unavailable"
    SANDBOX_UNAVAILABLE = "sandbox_unavailable"
