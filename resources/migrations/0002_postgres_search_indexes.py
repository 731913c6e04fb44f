"""PostgreSQL-only search indexes: GIN on the weighted search vector and on the tag/prerequisite lists, pg_trgm on
resource titles (GIN) and on the search vocabulary (GiST, for nearest-word look-ups). SQLite gets none of them; its
search fallback does not need them."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "resources_search_vector_gin": "CREATE INDEX IF NOT EXISTS resources_search_vector_gin ON resources "
    "USING gin (search_vector)",
    "resources_tags_gin": "CREATE INDEX IF NOT EXISTS resources_tags_gin ON resources USING gin (tags)",
    "resources_prerequisites_gin": "CREATE INDEX IF NOT EXISTS resources_prerequisites_gin ON resources "
    "USING gin (prerequisites)",
    "resources_title_trgm": "CREATE INDEX IF NOT EXISTS resources_title_trgm ON resources "
    "USING gin (title gin_trgm_ops)",
    "resources_searchterm_word_trgm": "CREATE INDEX IF NOT EXISTS resources_searchterm_word_trgm "
    "ON resources_searchterm USING gist (word gist_trgm_ops)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in INDEXES.values():
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
