"""The per-process catalogue index and collaborative model, and a request's cache identity (one query)."""

import hashlib
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import CharField, Count, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat

from common.retrieval import EMBEDDING_DIM, decode_vector, embed_texts
from resources.models import Resource, UserInteractionVersion
from resources.models_reco import RecommenderModel
from resources.recommend import context, engine
from resources.selectors import interaction_version, resources_active
from resources.services import resource_embedding_text
from users.models import User, UserPreferences

logger = logging.getLogger(__name__)


DIFFICULTY_LEVEL = {"beginner": 0, "intermediate": 1, "advanced": 2}

# --- The catalogue, indexed once per process --------------------------------------------------------------------------


@dataclass
class Catalogue:
    signature: tuple[Any, ...]
    ids: np.ndarray
    position: dict[int, int]
    titles: list[str]
    media: np.ndarray
    media_codes: np.ndarray  # media type as a small int (fast grouping)
    difficulty: np.ndarray  # level 0–2, −1 unknown
    duration: np.ndarray  # minutes, −1 unknown
    style: np.ndarray
    tags: list[set[str]]
    prior: np.ndarray
    popularity: np.ndarray  # weighted interaction count
    popular_from: float  # the popularity from which an item is called "popular" (median of the non-zero ones)
    rating: np.ndarray
    rating_count: np.ndarray
    vectors: np.ndarray  # the retrieval engine's stored embeddings (float32, L2-normalised rows)


_lock = threading.Lock()
_catalogue: Catalogue | None = None
_model: tuple[int, engine.CollabModel] | None = None


def _catalogue_stamp() -> Any:
    """(active resources | latest change of any resource) as one text, computed in one scan of the table: the whole
    catalogue, not only active rows (hiding a resource changes its updated_at or the active count)."""
    return Concat(
        Cast(Count("id", filter=Q(is_active=True)), CharField()),
        Value("|"),
        Cast(Max("updated_at"), CharField()),
        output_field=CharField(),
    )


def _catalogue_signature() -> tuple[Any, ...]:
    """The catalogue's stamp, the same as the cache identity's."""
    return (Resource.objects.aggregate(stamp=_catalogue_stamp())["stamp"],)


def _vectors(rows: list[tuple[Any, ...]]) -> np.ndarray:
    """The stored embedding of each row (common.retrieval, kept current by resources.services); the few not yet
    computed are embedded here from the same text."""
    out = np.zeros((len(rows), EMBEDDING_DIM), dtype=np.float32)
    missing = []
    for n, row in enumerate(rows):
        stored = decode_vector(row[11])
        if stored is None:
            missing.append(n)
        else:
            out[n] = stored
    if missing:
        out[missing] = embed_texts(
            [resource_embedding_text(title=rows[n][1], tags=rows[n][7] or [], description=rows[n][2]) for n in missing]
        )
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def catalogue_get(signature: tuple[Any, ...] | None = None) -> Catalogue:
    """The active catalogue as arrays with its embeddings; rebuilt when a resource is added, changed or hidden.
    `signature`: the stamp already read with the request's cache identity (saves a query)."""
    global _catalogue
    signature = signature or _catalogue_signature()
    if _catalogue is not None and _catalogue.signature == signature:
        return _catalogue
    with _lock:
        rows = list(
            resources_active()
            .order_by("id")
            .values_list(
                "id",
                "title",
                "description",
                "media_type",
                "difficulty",
                "duration_minutes",
                "learning_style",
                "tags",
                "rating",
                "rating_count",
                "popularity",
                "embedding",
            )
        )
        popularity = np.array([r[10] for r in rows], dtype=np.float64)
        rating = np.array([r[8] for r in rows], dtype=np.float64)
        rating_count = np.array([r[9] for r in rows], dtype=np.float64)
        positive = popularity[popularity > 0]
        _catalogue = Catalogue(
            signature=signature,
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            position={int(r[0]): n for n, r in enumerate(rows)},
            titles=[r[1] for r in rows],
            media=np.array([r[3] for r in rows], dtype=object),
            media_codes=np.unique(np.array([r[3] for r in rows], dtype=object), return_inverse=True)[1].astype(np.int16)
            if rows
            else np.zeros(0, dtype=np.int16),
            difficulty=np.array([DIFFICULTY_LEVEL.get(r[4] or "", -1) for r in rows], dtype=np.int8),
            duration=np.array([r[5] if r[5] is not None else -1 for r in rows], dtype=np.int64),
            style=np.array([r[6] or "" for r in rows], dtype=object),
            tags=[{t.lower() for t in (r[7] or [])} for r in rows],
            prior=engine.popularity_prior(popularity, rating, rating_count) if rows else np.zeros(0),
            popularity=popularity,
            popular_from=float(np.median(positive)) if len(positive) else float("inf"),
            rating=rating,
            rating_count=rating_count,
            vectors=_vectors(rows),
        )
        return _catalogue


# --- The current model, loaded once per process -----------------------------------------------------------------------


def current_model_version() -> int:
    """Id of the current model (0 when none): part of every recommendation cache key."""
    return RecommenderModel.objects.filter(is_current=True).order_by().values_list("id", flat=True).first() or 0


@dataclass(frozen=True)
class Identity:
    """Everything a user's list depends on, read in one query: the cache key of a request. Any input the engine
    reads moves one of these: a new interaction the interaction version, a preference or a profile field the
    engine reads the preferences version (users.services bumps it), a catalogue edit the catalogue stamp, roadmap
    or module progress the learning stamp, a retrain the model version."""

    model_version: int
    interactions: int
    preferences: int
    catalogue: tuple[Any, ...]
    learning: tuple[Any, ...]

    def key(self, *, user_id: Any, limit: int) -> str:
        digest = hashlib.blake2b(repr((self.catalogue, self.learning)).encode(), digest_size=8).hexdigest()
        return f"reco:m{self.model_version}:u{user_id}:i{self.interactions}:p{self.preferences}:s{digest}:n{limit}"


def _identity_queryset(user_pk: Any) -> QuerySet[Any]:
    """The cache identity of user `user_pk` as one row of correlated scalar subqueries."""
    current = RecommenderModel.objects.filter(is_current=True).order_by().values("id")[:1]
    mine = UserInteractionVersion.objects.filter(user=OuterRef("pk")).order_by().values("version")[:1]
    prefs = UserPreferences.objects.filter(user=OuterRef("pk")).order_by().values("version")[:1]
    catalogue = Resource.objects.annotate(one=Value(1)).order_by().values("one")
    catalogue_stamp = Subquery(catalogue.annotate(value=_catalogue_stamp()).values("value")[:1])
    learning = context.learning_stamp_subqueries(OuterRef("pk"))
    return (
        User.objects.filter(pk=user_pk)
        .annotate(
            model_version=Subquery(current),
            user_version=Subquery(mine),
            prefs_version=Subquery(prefs),
            catalogue=catalogue_stamp,
            **learning,
        )
        .values("model_version", "user_version", "prefs_version", "catalogue", *learning)
    )


_PLACEHOLDER_USER = uuid.UUID(int=0x1DE7)


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    user_param: int  # index of the user's primary key among `params`
    learning: tuple[str, ...]  # the columns of the learning stamps (roadmaps, module progress)
    converters: dict[int, Any]  # the ORM's value converters of those columns (e.g. SQLite datetimes)
    compiler: Any


_statements = threading.local()


def _identity_statement() -> _Statement:
    """The identity query compiled once per thread (its database connection is per thread): the ORM spelling
    compiled nine correlated subqueries on every request, ~3 ms of CPU, most of a cached request's own cost. Only
    the user's primary key changes between requests; every other parameter is a constant of the query."""
    key = connection.vendor
    cached: dict[str, _Statement] = getattr(_statements, "by_vendor", None) or {}
    if key in cached:
        return cached[key]
    queryset = _identity_queryset(_PLACEHOLDER_USER)
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    placeholder = User._meta.pk.get_db_prep_value(_PLACEHOLDER_USER, connection)  # type: ignore[union-attr]
    positions = [n for n, value in enumerate(params) if value == placeholder]
    if len(positions) != 1:  # pragma: no cover - the query has exactly one user parameter
        raise RuntimeError(f"identity query: {len(positions)} user parameters")
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    statement = _Statement(
        sql=sql,
        params=tuple(params),
        user_param=positions[0],
        learning=tuple(context.learning_stamp_subqueries(OuterRef("pk"))),
        converters=compiler.get_converters(fields),
        compiler=compiler,
    )
    _statements.by_vendor = {**cached, key: statement}
    return statement


def _identity_row(user: User) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """The identity's columns by name, and the names of its learning stamps."""
    statement = _identity_statement()
    params = list(statement.params)
    params[statement.user_param] = User._meta.pk.get_db_prep_value(user.pk, connection)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    if row is None:
        return None
    if statement.converters:
        row = next(iter(statement.compiler.apply_converters([row], statement.converters)))
    return dict(zip(names, row, strict=True)), statement.learning


def versions_of(*, user: User) -> Identity:
    """The request's cache identity in one query."""
    found = _identity_row(user)
    if found is None:
        return Identity(current_model_version(), interaction_version(user=user), 0, (), ())
    row, learning = found
    return Identity(
        model_version=row["model_version"] or 0,
        interactions=row["user_version"] or 0,
        preferences=row["prefs_version"] or 0,
        catalogue=(row["catalogue"],),
        learning=tuple(str(row[name]) for name in learning),
    )


def current_model(*, version: int) -> engine.CollabModel | None:
    global _model
    if not version:
        return None
    if _model is not None and _model[0] == version:
        return _model[1]
    with _lock:
        blob = RecommenderModel.objects.filter(pk=version).values_list("artifact", flat=True).first()
        if blob is None:
            return None
        _model = (version, engine.CollabModel.from_bytes(bytes(blob)))
        return _model[1]
