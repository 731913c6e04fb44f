import factory

from learning.models import ExerciseTestCase, LearningPath, Module, Question, Quiz


class LearningPathFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningPath

    slug = factory.Sequence(lambda n: f"path-{n}")
    title = factory.Sequence(lambda n: f"Path {n}")
    description = "A path about things."
    difficulty_level = "beginner"


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module
        skip_postgeneration_save = True

    learning_path = factory.SubFactory(LearningPathFactory)
    slug = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Module {n}")
    description = "Learn a thing."
    content = "# A lesson\n\nSome *markdown*."
    order_index = factory.Sequence(lambda n: n + 1)
    estimated_duration = 30
    module_type = "lesson"

    @factory.post_generation
    def prerequisites(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.prerequisites.set(extracted)


class ExerciseTestCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExerciseTestCase

    module = factory.SubFactory(ModuleFactory, module_type="exercise")
    order_index = factory.Sequence(lambda n: n)
    input = "2\n3\n"
    expected_output = "5\n"
    points = 10
    is_hidden = False


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    description = "Check yourself."
    module = None
    difficulty = "easy"
    time_limit = 10
    max_attempts = 3
    passing_score = 70


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    quiz = factory.SubFactory(QuizFactory)
    order_index = factory.Sequence(lambda n: n)
    type = "multiple_choice"
    question = "Which one?"
    options = ["a", "b", "c", "d"]
    correct_answer = "b"
    explanation = "Because b."
    points = 1
