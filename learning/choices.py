"""The enums of learning's models: their values are part of the API, and other apps name them (a quiz draft's
question types, a module's progress) without reading learning's models."""

from django.db import models


class ModuleType(models.TextChoices):
    LESSON = "lesson", "Lesson"
    EXERCISE = "exercise", "Exercise"
    ASSESSMENT = "assessment", "Assessment"


class ProgressStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class QuizDifficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class QuestionType(models.TextChoices):
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    TRUE_FALSE = "true_false", "True/false"
    SHORT_ANSWER = "short_answer", "Short answer"
    CODE_COMPLETION = "code_completion", "Code completion"


class QuizPurpose(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    REVIEW = "review", "Review checks"


class AwardKind(models.TextChoices):
    MODULE_COMPLETED = "module_completed", "Module completed"
    EXERCISE_PASSED = "exercise_passed", "Exercise passed"
    QUIZ_PASSED = "quiz_passed", "Quiz passed"
    PATH_COMPLETED = "path_completed", "Path completed"
    ACHIEVEMENT = "achievement", "Achievement earned"
    REVIEW = "review", "Review answered (once per item per day)"


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ReviewState(models.IntegerChoices):
    """FSRS card states (the `fsrs` package's `State`)."""

    LEARNING = 1, "Learning"
    REVIEW = 2, "Review"
    RELEARNING = 3, "Relearning"


class ReviewRating(models.IntegerChoices):
    """FSRS ratings (the `fsrs` package's `Rating`)."""

    AGAIN = 1, "Again"
    HARD = 2, "Hard"
    GOOD = 3, "Good"
    EASY = 4, "Easy"


class ReviewSource(models.TextChoices):
    QUIZ = "quiz", "Quiz attempt"
    REVIEW = "review", "Review"
