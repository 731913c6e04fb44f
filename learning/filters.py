from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from common.choices import Difficulty
from common.validators import no_control_chars
from learning.models import CodeSubmission, LearningPath, Module, Quiz, QuizAttempt, UserModuleProgress


class SafeCharFilter(django_filters.CharFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("validators", [no_control_chars])
        super().__init__(*args, **kwargs)


class LearningPathFilter(django_filters.FilterSet):
    difficulty_level = django_filters.ChoiceFilter(choices=Difficulty.choices)
    search = SafeCharFilter(method="filter_search")

    class Meta:
        model = LearningPath
        fields = ["difficulty_level"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))


class ModuleFilter(django_filters.FilterSet):
    learning_path = django_filters.NumberFilter(field_name="learning_path_id", min_value=1, max_value=2**62)
    module_type = django_filters.ChoiceFilter(choices=Module._meta.get_field("module_type").choices)

    class Meta:
        model = Module
        fields = ["learning_path", "module_type"]


class ProgressFilter(django_filters.FilterSet):
    module = django_filters.NumberFilter(field_name="module_id", min_value=1, max_value=2**62)
    status = django_filters.ChoiceFilter(choices=UserModuleProgress._meta.get_field("status").choices)

    class Meta:
        model = UserModuleProgress
        fields = ["module", "status"]


class QuizFilter(django_filters.FilterSet):
    module = django_filters.NumberFilter(field_name="module_id", min_value=1, max_value=2**62)

    class Meta:
        model = Quiz
        fields = ["module"]


class AttemptFilter(django_filters.FilterSet):
    quiz = django_filters.NumberFilter(field_name="quiz_id", min_value=1, max_value=2**62)

    class Meta:
        model = QuizAttempt
        fields = ["quiz"]


class SubmissionFilter(django_filters.FilterSet):
    module = django_filters.NumberFilter(field_name="module_id", min_value=1, max_value=2**62)

    class Meta:
        model = CodeSubmission
        fields = ["module"]
