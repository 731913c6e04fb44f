from django.contrib import admin

from agents.models import Agent, ChatMessage


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "status", "current_task", "is_active", "last_active", "restarted_at"]
    list_filter = ["status", "is_active"]
    # Status, current task and activity are derived from job rows; restart through the API to clear an error.
    readonly_fields = ["status", "current_task", "last_active", "restarted_at", "created_at"]


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
