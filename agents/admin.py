from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from agents import dashboard, services
from agents.models import Agent, ChatMessage


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "status", "current_task", "is_active", "last_active", "restarted_at"]
    list_filter = ["is_active"]
    # Status, current task and activity are derived from job rows; the restart action clears an error.
    readonly_fields = ["type", "status", "current_task", "last_active", "restarted_at", "created_at"]
    actions = ["restart"]

    @admin.action(description="Restart the selected agents (clears error)")
    def restart(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        for agent in queryset:
            services.agent_restart(agent=agent)
        self.message_user(request, f"Restarted {queryset.count()} agent(s).")


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ["user", "session_id", "short_message", "provider", "feedback_rating", "created_at"]
    list_filter = ["provider", "feedback_rating"]
    search_fields = ["session_id", "user__username", "message"]
    raw_id_fields = ["user", "module"]
    readonly_fields = ["agent", "user", "session_id", "message", "response", "provider", "sources", "created_at"]

    @admin.display(description="message")
    def short_message(self, obj: ChatMessage) -> str:
        return obj.message[:80]


def staff_dashboard(request: HttpRequest) -> TemplateResponse:
    """The staff dashboard: served behind `admin.site.admin_view` (staff only; anyone else goes to the login)."""
    context = {
        **admin.site.each_context(request),
        "title": "Staff dashboard",
        "is_nav_sidebar_enabled": False,
        **dashboard.context(),
    }
    return TemplateResponse(request, "admin/staff_dashboard.html", context)


admin.site.index_template = "admin/pathwise_index.html"
