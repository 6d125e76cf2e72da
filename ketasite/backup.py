"""Backup and restore of the whole site as one JSON document.

The document is `{"format": "ketasite-export", "version": 1, "exported_at": ISO time,
"models": {"app_label.model_name": [rows]}}`; each row is the row of Django's python serializer
(`{"model", "pk", "fields"}`), so every model of the articles, evidence and taggit apps is
included without being listed here, as are the users and groups. Users and groups are written
by natural key (username, group name), and so are references to them, to content types and to
permissions: those ids differ from one database to another.

Password hashes are left out unless asked for; restored users without one get an unusable
password (they set a new one through the password reset). API tokens, sessions and sign-in
attempts are never exported. Annotations also carry their W3C Web Annotation form, in an extra
`w3c` key of the row, for readers of the file; the restore ignores it.
"""

import datetime
import decimal
import json
import uuid
from collections import defaultdict

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core import serializers
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from articles.blocks import block_starts
from articles.publishing import fill_missing_addresses

FORMAT_NAME = "ketasite-export"
FORMAT_VERSION = 1
CONTENT_APPS = ("articles", "evidence", "taggit")
# Rows of these are matched by natural key on restore, so an account that already exists (the
# operator's own) is updated rather than duplicated.
NATURAL_KEY_MODELS = (Group, User)


class RestoreError(Exception):
    """The file cannot be restored; the message says why in one line. Nothing was changed."""


class ExportEncoder(json.JSONEncoder):
    """JSON for serializer rows, keeping datetimes to the microsecond (Django's encoder
    drops the last three digits, which would make a restored row differ from the original)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, decimal.Decimal | uuid.UUID):
            return str(o)
        if isinstance(o, bytes | memoryview):
            raise TypeError("binary values are serialised as base64 by the field itself")
        return super().default(o)


def label_of(model):
    return model._meta.label_lower


def exported_models():
    """Return the exported models, each after the models its required references point to."""
    models = [Group, User]
    for app_label in CONTENT_APPS:
        models.extend(
            model
            for model in apps.get_app_config(app_label).get_models()
            if not model._meta.proxy and model._meta.managed
        )
    return dependency_order(models)


def dependency_order(models):
    """Sort `models` so each comes after those its non-nullable foreign keys point to.

    Nullable references (Article.draft → Revision, Revision.parent) are left out of the order:
    they make cycles, and the restore defers constraint checks to the end anyway.
    """
    chosen = set(models)
    ordered, visiting, done = [], set(), set()

    def visit(model):
        if model in done or model in visiting:
            return
        visiting.add(model)
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target in chosen and target is not model and not field.null:
                visit(target)
        visiting.discard(model)
        done.add(model)
        ordered.append(model)

    for model in models:
        visit(model)
    return ordered


def _serialize(model, queryset, *, with_passwords):
    rows = serializers.serialize(
        "python",
        queryset.order_by("pk"),
        use_natural_foreign_keys=True,
        use_natural_primary_keys=model in NATURAL_KEY_MODELS,
    )
    if model is User and not with_passwords:
        for row in rows:
            row["fields"].pop("password", None)
    return rows


def _annotation_w3c(annotation, block_offsets):
    """Return the W3C Web Annotation form of a stored annotation (draft or published).

    `block_offsets` is `block_starts` of the annotation's revision.
    """
    from evidence.api import w3c_annotation

    offset = block_offsets.get(annotation.block_id, 0)
    item = {
        "exact": annotation.exact,
        "prefix": annotation.prefix,
        "suffix": annotation.suffix,
        "note": annotation.note,
        "verdict": annotation.verdict,
        "certainty": annotation.certainty,
        "position": {"start": offset + annotation.start, "end": offset + annotation.end},
        "created": annotation.created_at.isoformat() if annotation.created_at else None,
        "modified": annotation.modified_at.isoformat() if annotation.modified_at else None,
    }
    return w3c_annotation(
        item,
        annotation_url=f"{settings.SITE_URL}/api/v1/annotations/{annotation.pk}/",
        page_url=f"{settings.SITE_URL}{annotation.article.get_absolute_url()}",
    )


def export_rows(*, with_passwords=False):
    """Return {"app.model": [rows]} for every exported model, in restore order."""
    data = {}
    for model in exported_models():
        queryset = model._default_manager.all()
        rows = _serialize(model, queryset, with_passwords=with_passwords)
        if label_of(model) == "evidence.annotation":
            annotations = queryset.select_related("article").in_bulk()
            # Each revision's block offsets once, not once per annotation on it.
            revisions = apps.get_model("articles", "Revision").objects.filter(
                pk__in={annotation.revision_id for annotation in annotations.values()}
            )
            offsets = {
                pk: block_starts(blocks) for pk, blocks in revisions.values_list("pk", "blocks")
            }
            for row in rows:
                annotation = annotations[row["pk"]]
                row["w3c"] = _annotation_w3c(annotation, offsets[annotation.revision_id])
        data[label_of(model)] = rows
    return data


def export_document(*, with_passwords=False):
    """Return the whole site as the export document (a dict ready for json.dump)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "with_passwords": with_passwords,
        "models": export_rows(with_passwords=with_passwords),
    }


def dump_document(document, stream):
    json.dump(document, stream, cls=ExportEncoder, ensure_ascii=False, indent=1)
    stream.write("\n")


def existing_content():
    """Return {"app.model": count} for content models that already hold rows."""
    counts = {}
    for model in exported_models():
        if model in NATURAL_KEY_MODELS:
            continue
        count = model._default_manager.count()
        if count:
            counts[label_of(model)] = count
    return counts


def check_document(document):
    """Raise RestoreError unless `document` looks like an export this version can read."""
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise RestoreError("This is not a ketasite export (its \"format\" is not ketasite-export).")
    if document.get("version") != FORMAT_VERSION:
        raise RestoreError(
            f"This export has version {document.get('version')!r}; this ketasite reads version "
            f"{FORMAT_VERSION} only."
        )
    models = document.get("models")
    if not isinstance(models, dict):
        raise RestoreError("The export has no \"models\" object.")
    known = {label_of(model) for model in exported_models()}
    unknown = sorted(set(models) - known)
    if unknown:
        raise RestoreError(
            f"The export holds models this site does not have: {', '.join(unknown)}."
        )
    for label, rows in models.items():
        if not isinstance(rows, list) or not all(_is_row_of(row, label) for row in rows):
            raise RestoreError(f"The rows of {label} are not serializer rows of that model.")


def _is_row_of(row, label):
    return (
        isinstance(row, dict) and row.get("model") == label and isinstance(row.get("fields"), dict)
    )


def _restore_user_password(user, *, had_password):
    if had_password:
        return
    existing = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
    if existing is not None:
        # An account that was already here (the operator's) keeps its own password.
        user.password = existing
    else:
        user.set_unusable_password()


def restore_document(document, *, using=DEFAULT_DB_ALIAS):
    """Load an export into a database that holds no content yet; return {label: count}.

    Everything happens in one transaction: on any error nothing is kept. Models are loaded in
    dependency order with constraint checks deferred to the end (articles and revisions point
    at each other), then checked, and the primary-key sequences are moved past the restored ids.
    """
    check_document(document)
    present = existing_content()
    if present:
        found = ", ".join(f"{count} {label}" for label, count in sorted(present.items()))
        raise RestoreError(
            f"The database already has content ({found}); import_site only restores into an "
            "empty database."
        )
    connection = connections[using]
    loaded = defaultdict(int)
    deferred = []
    models_in_order = [
        model for model in exported_models() if label_of(model) in document["models"]
    ]
    try:
        with transaction.atomic(using=using), connection.constraint_checks_disabled():
            for model in models_in_order:
                rows = [
                    {key: row[key] for key in ("model", "pk", "fields") if key in row}
                    for row in document["models"][label_of(model)]
                ]
                had_password = {
                    index: "password" in row["fields"] for index, row in enumerate(rows)
                }
                objects = serializers.deserialize(
                    "python", rows, using=using, handle_forward_references=True
                )
                for index, deserialized in enumerate(objects):
                    if model is User:
                        _restore_user_password(
                            deserialized.object, had_password=had_password[index]
                        )
                    deserialized.save(using=using)
                    if deserialized.deferred_fields:
                        deferred.append(deserialized)
                    loaded[label_of(model)] += 1
            # References by natural key to rows loaded later are filled in now.
            for deserialized in deferred:
                deserialized.save_deferred_fields(using=using)
            # An export made before publications froze their address: give them the one
            # they were served at (articles.publishing).
            fill_missing_addresses(using=using)
            tables = [model._meta.db_table for model in models_in_order]
            tables += [
                field.remote_field.through._meta.db_table
                for model in models_in_order
                for field in model._meta.local_many_to_many
            ]
            connection.check_constraints(table_names=tables)
            _reset_sequences(connection, models_in_order)
    except RestoreError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure is reported in one line
        text = str(error).strip()
        message = text.splitlines()[0] if text else type(error).__name__
        raise RestoreError(f"The export could not be restored, nothing was changed: {message}")
    return dict(loaded)


def _reset_sequences(connection, models):
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
