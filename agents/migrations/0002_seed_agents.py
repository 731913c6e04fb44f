"""The six agents always exist (the SPA lists them and every agent endpoint needs its row)."""

from django.db import migrations

from agents.registry import AGENTS


def create_agents(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    for spec in AGENTS:
        Agent.objects.get_or_create(
            type=spec.type,
            defaults={"name": spec.name, "description": spec.description, "capabilities": list(spec.capabilities)},
        )


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]
    operations = [migrations.RunPython(create_agents, migrations.RunPython.noop)]
