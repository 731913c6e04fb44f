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
        from common import heartbeat

        heartbeat.register_sandbox_check(sandbox_usable)
