from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from learning import services
from learning.models import (
    ExerciseTestCase,
    LearningPath,
    LearningPathRating,
    Module,
    PointAward,
    Question,
    Quiz,
    QuizAttempt,
    ReviewItem,
    ReviewLog,
    UserModuleProgress,
)
from learning.services_sections import lesson_sections_sync


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ["order_index", "title", "slug", "module_type", "estimated_duration"]
    ordering = ["order_index"]
    show_change_link = True


@admin.register(LearningPath)
class LearningPathAdmin(admin.ModelAdmin):
    list_display = ["title", "difficulty_level", "modules_count", "estimated_duration", "rating", "rating_count",
                    "is_published"]  # fmt: skip
    list_filter = ["difficulty_level", "is_published"]
    search_fields = ["title", "description", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["modules_count", "estimated_duration", "rating", "rating_count", "created_at", "updated_at"]
    inlines = [ModuleInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.learning_path_refresh_totals(learning_path=form.instance)


class TestCaseInline(admin.TabularInline):
    model = ExerciseTestCase
    extra = 0
    fields = ["order_index", "input", "expected_output", "points", "is_hidden"]


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "learning_path", "order_index", "module_type", "estimated_duration"]
    list_filter = ["learning_path", "module_type"]
    search_fields = ["title", "description", "content", "slug"]
    ordering = ["learning_path", "order_index"]
    filter_horizontal = ["prerequisites"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [TestCaseInline]

    def save_model(self, request: HttpRequest, obj: Module, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.learning_path_refresh_totals(learning_path=obj.learning_path)
        lesson_sections_sync(module=obj)  # the tutor's lessons corpus follows the edit at once


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = ["order_index", "type", "question", "options", "correct_answer", "explanation", "points"]


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["title", "module", "difficulty", "max_attempts", "passing_score", "is_draft", "question_count"]
    list_filter = ["difficulty", "is_draft", "purpose"]
    search_fields = ["title", "description", "slug"]
    inlines = [QuestionInline]

    @admin.display(description="Questions")
    def question_count(self, obj: Quiz) -> int:
        return obj.questions.count()


@admin.register(UserModuleProgress)
class UserModuleProgressAdmin(admin.ModelAdmin):
    list_display = ["user", "module", "status", "time_spent", "score", "completed_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "module__title"]
    raw_id_fields = ["user", "module"]
    readonly_fields = [f.name for f in UserModuleProgress._meta.fields]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = ["user", "quiz", "attempt_number", "percentage", "passed", "completed_at"]
    list_filter = ["passed", "quiz"]
    search_fields = ["user__username", "quiz__title"]
    readonly_fields = [f.name for f in QuizAttempt._meta.fields]


@admin.register(PointAward)
class PointAwardAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "object_id", "points", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    readonly_fields = [f.name for f in PointAward._meta.fields]


@admin.register(LearningPathRating)
class LearningPathRatingAdmin(admin.ModelAdmin):
    list_display = ["user", "learning_path", "rating", "updated_at"]
    list_filter = ["learning_path", "rating"]
    raw_id_fields = ["user"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Spaced-review state is moved only by learning.review.services: staff read it, never edit it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReviewLogInline(admin.TabularInline):
    model = ReviewLog
    extra = 0
    fields = ["reviewed_at", "source", "correct", "rating", "time_taken", "due_before", "due_after", "stability"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-reviewed_at"]
    max_num = 0


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "module", "question", "state", "due", "stability", "reps", "lapses"]
    list_filter = ["state", "module", ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email", "question__question"]
    list_select_related = ["user", "module", "question"]
    raw_id_fields = ["user", "question", "module"]
    date_hierarchy = "due"
    inlines = [ReviewLogInline]


@admin.register(ReviewLog)
class ReviewLogAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "source", "correct", "rating", "time_taken", "reviewed_at", "due_after"]
    list_filter = ["source", "rating", "correct", "item__module"]
    search_fields = ["item__user__username", "item__user__email"]
    list_select_related = ["item"]
    raw_id_fields = ["item"]
    date_hierarchy = "reviewed_at"
