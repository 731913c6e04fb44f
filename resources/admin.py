from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from resources import services
from resources.models import Resource, ScrapeJob, ScrapeSource, UserInteractionVersion, UserResourceInteraction
from resources.results import catalogue_changed


def progress_text(job: ScrapeJob) -> str:
    """“▰▰▰▱▱▱▱▱▱▱ 3/12 · https://…”: sources read of the job's total, and the one being read."""
    total = job.sources_total or len(job.sources or [])
    filled = round(10 * job.sources_done / total) if total else 0
    current = f" · {job.current_source}" if job.current_source and job.status == "running" else ""
    return f"{'▰' * filled}{'▱' * (10 - filled)} {job.sources_done}/{total}{current}"


COUNTERS = ["rating", "rating_count", "view_count", "like_count", "save_count", "completion_count", "popularity"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "media_type",
        "difficulty",
        "duration_minutes",
        "rating",
        "rating_count",
        "popularity",
        "origin",
        "is_active",
    ]
    list_filter = ["media_type", "difficulty", "learning_style", "origin", "is_active"]
    search_fields = ["title", "url", "source"]
    readonly_fields = ["canonical_url", *COUNTERS, "scraped_at", "created_at", "updated_at"]
    exclude = ["search_vector"]
    actions = ["activate", "deactivate", "rebuild_vocabulary"]

    def save_model(self, request: HttpRequest, obj: Resource, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.search_terms_add(resource=obj)

    def delete_model(self, request: HttpRequest, obj: Resource) -> None:
        super().delete_model(request, obj)
        catalogue_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Resource]) -> None:
        super().delete_queryset(request, queryset)
        catalogue_changed()

    @admin.action(description="Show the selected resources in the API")
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"{queryset.update(is_active=True)} resources shown.")
        catalogue_changed()

    @admin.action(description="Hide the selected resources from the API")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"{queryset.update(is_active=False)} resources hidden.")
        catalogue_changed()

    @admin.action(description="Rebuild the search vocabulary (typo correction)")
    def rebuild_vocabulary(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"Vocabulary rebuilt: {services.search_terms_rebuild()} words.")


@admin.register(UserResourceInteraction)
class UserResourceInteractionAdmin(admin.ModelAdmin):
    list_display = ["user", "resource", "interaction_type", "rating", "completed", "time_spent_minutes", "updated_at"]
    list_filter = ["interaction_type"]
    search_fields = ["user__username", "resource__title"]
    raw_id_fields = ["user", "resource"]
    readonly_fields = [f.name for f in UserResourceInteraction._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # interactions are written through the API's services, which keep the aggregates exact


@admin.register(UserInteractionVersion)
class UserInteractionVersionAdmin(admin.ModelAdmin):
    list_display = ["user", "version", "updated_at"]
    readonly_fields = ["user", "version", "updated_at"]
    search_fields = ["user__username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ScrapeSource)
class ScrapeSourceAdmin(admin.ModelAdmin):
    list_display = ["url", "kind", "name", "is_active", "last_scraped_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["url", "name"]
    readonly_fields = ["last_scraped_at", "created_at", "updated_at"]
    actions = ["scrape_now"]

    @admin.action(description="Scrape the selected sources now")
    def scrape_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        sources = [{"url": s.url, "kind": s.kind} for s in queryset.order_by("id")]
        job = services.scrape_job_create(requested_by=request.user, sources=sources)  # type: ignore[arg-type]
        self.message_user(request, f"Scrape job {job.pk} is {job.status}.", messages.SUCCESS)


@admin.register(ScrapeJob)
class ScrapeJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "requested_by",
        "found_count",
        "created_count",
        "updated_count",
        "skipped_count",
        "failed_count",
        "progress",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status"]
    readonly_fields = [*(f.name for f in ScrapeJob._meta.fields), "progress"]

    @admin.display(description="progress")
    def progress(self, job: ScrapeJob) -> str:
        return progress_text(job)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
