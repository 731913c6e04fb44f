from django.contrib import admin

from roadmaps.models import Roadmap, RoadmapStep, StepResource


class RoadmapStepInline(admin.TabularInline):
    model = RoadmapStep
    extra = 0
    fields = ["order_index", "week", "title", "estimated_hours", "difficulty", "status", "rating"]
    ordering = ["order_index"]
    show_change_link = True


@admin.register(Roadmap)
class RoadmapAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "concept", "duration_weeks", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "concept", "user__username"]
    raw_id_fields = ["user"]
    readonly_fields = ["generation_metadata", "created_at", "updated_at"]
    inlines = [RoadmapStepInline]


class StepResourceInline(admin.TabularInline):
    model = StepResource
    extra = 0
    raw_id_fields = ["resource"]


@admin.register(RoadmapStep)
class RoadmapStepAdmin(admin.ModelAdmin):
    list_display = ["title", "roadmap", "week", "estimated_hours", "status"]
    list_filter = ["status", "difficulty"]
    search_fields = ["title", "roadmap__title"]
    inlines = [StepResourceInline]
