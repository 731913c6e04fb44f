from django.apps import AppConfig


def sandbox_usable() -> bool:
    """Whether the configured backend can run a program here (what a worker's heartbeat reports)."""
    from executor.backends import BackendUnavailable, get_backend

    try:
        get_backend()
    except BackendUnavailable:
        return False
    return True


class ExecutorConfig(AppConfig):
    name = "executor"

    def ready(self) -> None:
        # Every process registers the Celery tasks the job engine dispatches by name (common.jobs.dispatch).
        import executor.tasks  # noqa: F401
        from common import heartbeat

        heartbeat.register_sandbox_check(sandbox_usable)
