from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from common.choices import Difficulty
from common.models import BaseModel
from learning.choices import (
    AwardKind,
    ModuleType,
    ProgressStatus,
    QuestionType,
    QuizDifficulty,
    QuizPurpose,
    ReviewRating,
    ReviewSource,
    ReviewState,
    SubmissionStatus,
)

PROGRESS_ORDER = {ProgressStatus.NOT_STARTED: 0, ProgressStatus.IN_PROGRESS: 1, ProgressStatus.COMPLETED: 2}


class LearningPath(BaseModel):
    """The first seed's `learning_paths`: an ordered course of modules.

    `modules_count` and `estimated_duration` (minutes) are kept in step with the modules by
    `services.learning_path_refresh_totals`; `rating` is the mean of learners' ratings (`LearningPathRating`).
    """

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    difficulty_level = models.CharField(max_length=20, choices=Difficulty.choices, db_index=True)
    estimated_duration = models.PositiveIntegerField(default=0, help_text="Minutes, the sum of its modules.")
    modules_count = models.PositiveIntegerField(default=0)
    rating = models.FloatField(default=0.0)
    rating_count = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(default=True)

    class Meta:
        db_table = "learning_paths"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=0, rating__lte=5), name="learning_path_rating_0_5"),
            models.CheckConstraint(
                condition=models.Q(difficulty_level__in=Difficulty.values), name="learning_path_difficulty_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LearningPathRating(BaseModel):
    """One learner's 1–5 rating of a path; re-rating replaces it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="path_ratings")
    learning_path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="ratings")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "learning_path"], name="path_rating_once_per_user"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="path_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} rated {self.learning_path_id}: {self.rating}"


class Module(BaseModel):
    """The first seed's `modules`: a lesson, exercise or assessment within a path, ordered by `order_index`.

    `prerequisites` are other modules that must be completed first. Exercise modules carry `starter_code` for the
    learner and a reference `solution` that is never served by the API.
    """

    learning_path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    content = models.TextField(blank=True, default="", help_text="Markdown.")
    order_index = models.PositiveIntegerField()
    estimated_duration = models.PositiveIntegerField(default=0, help_text="Minutes.")
    module_type = models.CharField(max_length=20, choices=ModuleType.choices, default=ModuleType.LESSON)
    prerequisites = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="dependents")
    language = models.CharField(max_length=20, blank=True, default="", help_text="Exercises: python or jac.")
    starter_code = models.TextField(blank=True, default="")
    solution = models.TextField(blank=True, default="", help_text="Reference solution; never served by the API.")

    class Meta:
        db_table = "modules"
        ordering = ["learning_path_id", "order_index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["learning_path", "order_index"], name="module_order_unique_in_path"),
            models.CheckConstraint(condition=models.Q(module_type__in=ModuleType.values), name="module_type_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class ExerciseTestCase(BaseModel):
    """A test case of an exercise module: stdin given to the learner's program and the stdout expected back.

    Hidden test cases are graded but their input and expected output are never shown.
    """

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="test_cases")
    order_index = models.PositiveIntegerField(default=0)
    input = models.TextField(blank=True, default="")
    expected_output = models.TextField(blank=True, default="")
    points = models.PositiveIntegerField(default=10)
    is_hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["module_id", "order_index", "id"]
        constraints = [models.UniqueConstraint(fields=["module", "order_index"], name="test_case_order_unique")]

    def __str__(self) -> str:
        return f"Test {self.order_index} of {self.module_id}"


class UserModuleProgress(BaseModel):
    """The first seed's `user_module_progress`: one row per (user, module); status only moves forward."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_progress")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(max_length=20, choices=ProgressStatus.choices, default=ProgressStatus.NOT_STARTED)
    time_spent = models.PositiveIntegerField(default=0, help_text="Minutes.")
    attempts = models.PositiveIntegerField(default=0)
    score = models.FloatField(null=True, blank=True)
    last_accessed = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "user_module_progress"
        ordering = ["-last_accessed", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "module"], name="progress_once_per_user_module"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                name="progress_score_0_100",
            ),
            models.CheckConstraint(condition=models.Q(status__in=ProgressStatus.values), name="progress_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=ProgressStatus.COMPLETED) | models.Q(completed_at__isnull=False),
                name="progress_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.module_id} {self.status}"


class Quiz(BaseModel):
    """The first seed's `quizzes`: a scored set of questions, usually attached to an assessment module.

    A quiz with purpose `review` holds a module's check questions: it is never served as a quiz, only through
    spaced review (`ReviewItem`).
    """

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    module = models.ForeignKey(Module, on_delete=models.SET_NULL, null=True, blank=True, related_name="quizzes")
    difficulty = models.CharField(max_length=10, choices=QuizDifficulty.choices, default=QuizDifficulty.MEDIUM)
    time_limit = models.PositiveIntegerField(default=15, help_text="Minutes.")
    max_attempts = models.PositiveIntegerField(default=3, validators=[MinValueValidator(1)])
    passing_score = models.PositiveIntegerField(default=70, validators=[MaxValueValidator(100)])
    is_draft = models.BooleanField(default=False, help_text="Drafts are not served to learners.")
    purpose = models.CharField(max_length=12, choices=QuizPurpose.choices, default=QuizPurpose.ASSESSMENT)

    class Meta:
        db_table = "quizzes"
        ordering = ["id"]
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(condition=models.Q(max_attempts__gte=1), name="quiz_max_attempts_gte_1"),
            models.CheckConstraint(condition=models.Q(passing_score__lte=100), name="quiz_passing_score_lte_100"),
        ]

    def __str__(self) -> str:
        return self.title


class Question(BaseModel):
    """A quiz question. `correct_answer` (an option text, "True"/"False", or a list of accepted answers) and
    `explanation` stay on the server until the learner has submitted an attempt."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    order_index = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=20, choices=QuestionType.choices)
    question = models.TextField()
    options = models.JSONField(default=list, blank=True)
    correct_answer = models.JSONField()
    explanation = models.TextField(blank=True, default="")
    points = models.PositiveIntegerField(default=1)
    module = models.ForeignKey(
        Module,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="check_questions",
        help_text="The module whose content this question checks: completing it starts the question's review.",
    )

    class Meta:
        ordering = ["quiz_id", "order_index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "order_index"], name="question_order_unique"),
            models.CheckConstraint(condition=models.Q(type__in=QuestionType.values), name="question_type_valid"),
        ]

    def __str__(self) -> str:
        return self.question[:60]


class QuizAttempt(models.Model):
    """The first seed's `quiz_attempts`: a scored submission; `attempt_number` is unique per (user, quiz)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    answers = models.JSONField(default=dict)
    score = models.FloatField(default=0)
    max_score = models.FloatField(default=0)
    percentage = models.FloatField(default=0)
    passed = models.BooleanField(default=False)
    time_taken = models.PositiveIntegerField(default=0, help_text="Seconds.")
    attempt_number = models.PositiveIntegerField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    detailed_results = models.JSONField(default=list)

    class Meta:
        db_table = "quiz_attempts"
        ordering = ["-completed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "quiz", "attempt_number"], name="attempt_number_unique"),
            models.CheckConstraint(
                condition=models.Q(percentage__gte=0, percentage__lte=100), name="attempt_pct_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} attempt {self.attempt_number} of {self.quiz_id}"


class PointAward(models.Model):
    """Points granted to a user for one event. The unique (user, kind, object_id) row is what makes every award
    happen exactly once, however many concurrent requests report the same event."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="point_awards")
    kind = models.CharField(max_length=30, choices=AwardKind.choices)
    object_id = models.BigIntegerField()
    points = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "object_id"], name="award_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.object_id} +{self.points}"


class CodeSubmission(BaseModel):
    """The first seed's `code_submissions`: code graded against test cases, each run in its own sandbox.

    `test_cases` is a snapshot of what was graded (the module's cases at submission time, or ad-hoc cases for the
    code evaluator) and `results` the outcome per case; hidden cases keep their input and expected output here
    but never leave the server.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="code_submissions")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, null=True, blank=True, related_name="submissions")
    code = models.TextField()
    language = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING)
    execution_time = models.FloatField(null=True, blank=True, help_text="Seconds, summed over the test cases.")
    memory_usage = models.FloatField(null=True, blank=True, help_text="MB, the peak over the test cases.")
    output = models.TextField(blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    test_cases_passed = models.PositiveIntegerField(default=0)
    test_cases_total = models.PositiveIntegerField(default=0)
    score = models.FloatField(default=0.0, help_text="Percent of the test-case points earned.")
    test_cases = models.JSONField(default=list)
    results = models.JSONField(default=list)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The submission's job (common.jobs): `status` moves only with it, in the same transaction. Null for rows from
    # before domain rows referenced their job, and after finished jobs are pruned.
    job = models.OneToOneField(
        "common.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="code_submission"
    )

    class Meta:
        db_table = "code_submissions"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status"], name="submission_user_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="submission_score_0_100"),
            models.CheckConstraint(
                condition=models.Q(status__in=SubmissionStatus.values), name="submission_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Submission {self.pk} by {self.user_id} ({self.status})"


class ReviewItem(models.Model):
    """One learner's spaced-review card for one question: the FSRS memory state (stability, difficulty) and when
    the question is next due. Created when the learner first meets the question (answers it in a quiz, or
    completes the module it checks); moved only by `learning.review.services`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="review_items")
    module = models.ForeignKey(
        Module,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="review_items",
        help_text="The module the question checks (its own, or its quiz's module).",
    )
    state = models.PositiveSmallIntegerField(choices=ReviewState.choices, default=ReviewState.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "id"]
        indexes = [models.Index(fields=["user", "due"], name="review_item_user_due")]
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="review_item_once_per_user_question"),
            models.CheckConstraint(condition=models.Q(state__in=ReviewState.values), name="review_item_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} q{self.question_id} due {self.due:%Y-%m-%d %H:%M}"


class ReviewLog(models.Model):
    """One graded answer to a review item (from a review or a quiz attempt), with the schedule it produced."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="logs")
    rating = models.PositiveSmallIntegerField(choices=ReviewRating.choices)
    correct = models.BooleanField()
    time_taken = models.PositiveIntegerField(default=0, help_text="Seconds.")
    source = models.CharField(max_length=10, choices=ReviewSource.choices)
    reviewed_at = models.DateTimeField()
    due_before = models.DateTimeField()
    due_after = models.DateTimeField()
    stability = models.FloatField(null=True, blank=True, help_text="The item's stability after this answer (days).")

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["item", "reviewed_at"], name="review_log_item_time")]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=4), name="review_log_rating_1_4"),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} rated {self.rating} at {self.reviewed_at:%Y-%m-%d %H:%M}"


class LessonSection(BaseModel):
    """One section of a module's Markdown (a heading with its paragraphs, code blocks, tables and lists kept whole),
    the unit the tutor retrieves and cites. Rebuilt from `Module.content` by `services.lesson_sections_sync` whenever
    the seed or a staff edit saves a module; `embedding` is the retrieval engine's vector of the section (float32
    bytes, `embedding_model` names the model), stored so that building the search index never recomputes it."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    level = models.PositiveSmallIntegerField(default=2)
    heading = models.CharField(max_length=255, blank=True, default="")
    anchor = models.CharField(max_length=255)
    body = models.TextField()
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=100, blank=True, default="")
    text_hash = models.CharField(max_length=64, blank=True, default="", help_text="SHA-256 of the embedded text.")
    # One precise-model vector per passage of the section (a sentence, list item, table row or commented code line,
    # `learning.lesson_markdown.passage_texts`), float16 rows concatenated: what the tutor matches a question
    # against at passage granularity ("my default list remembers values" → the one common-mistake item about it).
    passages = models.BinaryField(null=True, blank=True, editable=False)
    passages_model = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        db_table = "lesson_sections"
        ordering = ["module_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["module", "position"], name="lesson_section_position_unique"),
            models.UniqueConstraint(fields=["module", "anchor"], name="lesson_section_anchor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.module_id}#{self.anchor}"
