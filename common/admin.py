from django.contrib import admin
from django.http import HttpRequest

from common.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: jobs are moved by their apps' services, never edited by hand."""

    list_display = ["id", "kind", "title", "owner", "status", "created_at", "duration"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "ref", "owner__username"]
    raw_id_fields = ["owner"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
