from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"

    def ready(self) -> None:
        # Every process registers the Celery tasks the job engine dispatches by name (common.jobs.dispatch).
        import learning.tasks  # noqa: F401
        from common.history import register_history_provider
        from common.seeding import Seeder, register_seeder
        from learning import history, selectors, services
        from learning.retrieval_engine import register_corpus
        from learning.review import selectors as review_selectors
        from users.selectors import register_stats_provider

        register_seeder(Seeder(name="learning", order=10, run=services.seed_learning, size=services.seed_size))
        register_history_provider("learning_progress", history.progress_history)
        register_history_provider("learning_quiz_attempts", history.attempt_history)
        register_stats_provider(lambda user: review_selectors.review_summary(user=user))
        # The tutor's corpus: lesson sections with their stored embeddings (issue 17).
        register_corpus("lessons", version=selectors.lessons_corpus_version, load=selectors.lesson_section_docs)
