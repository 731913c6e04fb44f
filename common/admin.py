from django.contrib import admin

from common.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: jobs are moved by their apps' services, never edited by hand."""

    list_display = ["id", "kind", "title", "owner", "status", "created_at", "duration"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "ref", "owner__username"]
    raw_id_fields = ["owner"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
