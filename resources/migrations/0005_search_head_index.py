"""PostgreSQL-only: a GIN index on the title and tags of active resources (one unweighted tsvector), so a broad
search can find the resources with the query in their title or tags — its ranking pool — without reading the table.
The indexed expression must stay identical to `resources.search.SearchHead`. SQLite gets nothing."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS resources_search_head_gin ON resources USING gin "
    "((to_tsvector('english'::regconfig, (title)::text || ' ' || (tags)::text))) WHERE is_active"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS resources_search_head_gin")


class Migration(migrations.Migration):
    dependencies = [("resources", "0004_recommendermodel")]

    operations = [migrations.RunPython(create_index, drop_index)]
