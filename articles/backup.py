"""Backup and restore of the whole site as one JSON document.

The document is `{"format": "ketasite-export", "version": 1, "exported_at": ISO time,
"models": {"app_label.model_name": [rows]}}`; each row is the row of Django's python serializer
(`{"model", "pk", "fields"}`), so every model of the articles, evidence and taggit apps is
included without being listed here, as are the users and groups. The claim registry
(`claims`: claims, their rating history, their appearances (links to annotations, with the
reviewers' confirmations), published appearances, re-reviews and merges) is content too.
Users and groups are written by natural key (username, group name), and so are references to
them, to content types and to permissions: those ids differ from one database to another.

Password hashes are left out unless asked for; restored users without one get an unusable
password (an administrator gives them one: Django's password reset skips such accounts). API
tokens, sessions and sign-in attempts are never exported. Annotations also carry readable
forms registered by other apps (`register_annotation_form`: the public app adds the W3C Web
Annotation form, in an extra `w3c` key of the row), for readers of the file; the restore
ignores them.

A file may be crafted, so a restore never grants a right: see `restore_document` for what it
refuses unless told to trust the file's accounts.
"""

import dataclasses
import datetime
import decimal
import json
import uuid
from collections import defaultdict
from collections.abc import Callable

from django.apps import apps
from django.contrib.auth.hashers import is_password_usable
from django.contrib.auth.models import Group, User
from django.core import serializers
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from articles.blocks import block_starts
from articles.frozen import content_etag, gzip_body
from articles.models import Article, NotificationPreference, Publication, ShareLink
from articles.publishing import fill_missing_addresses, rerender_publication
from claims.matching import search_key
from claims.models import Claim
from claims.services import statement_key, store_match_vector
from evidence.models import Annotation, ConsensusRating, ReviewerRating
from ketasite.sanitize import clean_html
from pagecache.generation import purge_public_pages
from spotting.queue import spot_new_drafts_after_commit

FORMAT_NAME = "ketasite-export"
FORMAT_VERSION = 1
CONTENT_APPS = ("articles", "evidence", "spotting", "claims", "taggit", "reviewers")
# Rows of these are matched by natural key on restore, so an account that already exists (the
# operator's own) is updated rather than duplicated.
NATURAL_KEY_MODELS = (Group, User)
# Derived rows, never exported nor read from a file: the database rebuilds them from the
# restored articles and publications (`articles.models.SearchEntry`, `LiveCount`, `LiveTag`
# and `LiveTagCount`, kept by triggers), and the claim spotter's suggestions (the restored
# drafts are spotted again by a job queued when the restore commits, or on their first read;
# the editors' dismissals are content and are exported).
DERIVED_MODELS = (
    "articles.searchentry", "articles.livecount", "articles.livetag", "articles.livetagcount",
    "spotting.suggestion", "spotting.spottedrevision",
)


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
            and model._meta.label_lower not in DERIVED_MODELS
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


# Readable forms written beside each exported annotation row, {row key: build}, registered by
# the apps that own them (the public app registers "w3c", its W3C Web Annotation output) so
# that this module need not import them. `build(item, *, annotation_id, page_path)` gets the
# annotation as the public API's items have it.
_ANNOTATION_FORMS: dict[str, Callable[..., dict]] = {}


def register_annotation_form(key: str, build: Callable[..., dict]) -> None:
    """Write `build(...)` of every annotation under `key` in its exported row."""
    _ANNOTATION_FORMS[key] = build


def _annotation_forms(annotation, block_offsets):
    """Return {key: form} of a stored annotation (draft or published), one per registered
    form. `block_offsets` is `block_starts` of the annotation's revision."""
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
    page_path = annotation.article.get_absolute_url()
    return {
        key: build(item, annotation_id=annotation.pk, page_path=page_path)
        for key, build in _ANNOTATION_FORMS.items()
    }


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
                row.update(_annotation_forms(annotation, offsets[annotation.revision_id]))
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


def existing_content(*, using=DEFAULT_DB_ALIAS):
    """Return {"app.model": count} for content models that already hold rows."""
    counts = {}
    for model in exported_models():
        if model in NATURAL_KEY_MODELS:
            continue
        count = model._default_manager.using(using).count()
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


@dataclasses.dataclass
class RestoreReport:
    """What `restore_document` did: `counts` ({"app.model": rows restored}) and `skipped`
    (one readable line for each part of the file it refused)."""

    counts: dict = dataclasses.field(default_factory=dict)
    skipped: list = dataclasses.field(default_factory=list)


class _Admission:
    """Decide, row by row, what of an export a restore may write.

    A restore never grants a right: the file may be crafted. Each `admit_*` method takes a
    deserialized row, may change it, and returns whether to save it; a refusal adds one line
    to `skipped`.
    """

    def __init__(self, *, trust_accounts, using):
        self.trust_accounts = trust_accounts
        self.using = using
        self.existing_user_ids = set(User.objects.using(using).values_list("pk", flat=True))
        self.existing_group_ids = set(Group.objects.using(using).values_list("pk", flat=True))
        self.skipped = []
        # The stored HTML and bytes each publication had in the file, compared after the
        # re-render to say which ones did not match their own frozen content.
        self.file_pages = {}

    def skip(self, line):
        self.skipped.append(line)

    def admit(self, model, row, deserialized):
        check = {
            User: self.admit_user,
            Group: self.admit_group,
            ShareLink: self.admit_share_link,
            NotificationPreference: self.admit_notification_preference,
            Annotation: self.admit_annotation,
            # Dual review's ratings carry sanitised note HTML too (shown in the annotator).
            ReviewerRating: self.admit_annotation,
            ConsensusRating: self.admit_annotation,
            Claim: self.admit_claim,
            Publication: self.admit_publication,
        }.get(model)
        return check(row, deserialized) if check else True

    def admit_user(self, row, deserialized):
        user = deserialized.object
        name = user.get_username()
        if user.pk in self.existing_user_ids:
            self.skip(
                f"Kept the existing account {name!r} as it was: the file's row for it "
                "(details, flags, groups, permissions, password) was not applied."
            )
            return False
        if user.pk is not None:
            self.skip(f"Skipped a second row for the account {name!r}.")
            return False
        had_password = "password" in row["fields"]
        if not self.trust_accounts:
            refused = []
            if user.is_superuser:
                user.is_superuser = False
                refused.append("superuser")
            if user.is_staff:
                user.is_staff = False
                refused.append("staff")
            permissions = row["fields"].get("user_permissions") or []
            if permissions:
                refused.append(f"{len(permissions)} permission(s)")
            groups = row["fields"].get("groups") or []
            if groups:
                refused.append("groups " + ", ".join(repr(_key_text(g)) for g in groups))
            if had_password and user.password and is_password_usable(user.password):
                refused.append("the password hash")
            _drop_many_to_many(deserialized, "user_permissions", "groups")
            had_password = False
            if refused:
                self.skip(
                    f"New account {name!r}: refused {', '.join(refused)} "
                    f"({TRUST_ACCOUNTS_HINT})."
                )
        if not had_password:
            user.set_unusable_password()
        return True

    def admit_group(self, row, deserialized):
        group = deserialized.object
        if group.pk in self.existing_group_ids:
            # A group's permissions are what every member may do: never changed by a file.
            if "permissions" in row["fields"]:
                wanted = set(deserialized.m2m_data.get("permissions", []))
                current = set(
                    Group.objects.using(self.using)
                    .get(pk=group.pk)
                    .permissions.values_list("pk", flat=True)
                )
                if wanted != current or deserialized.deferred_fields:
                    self.skip(
                        f"Kept the group {group.name!r} as it was: the file's permissions "
                        "for it were not applied."
                    )
            return False
        if group.pk is not None:
            self.skip(f"Skipped a second row for the group {group.name!r}.")
            return False
        if not self.trust_accounts:
            self.skip(
                f"Skipped the group {group.name!r}, which this database does not have "
                f"({TRUST_ACCOUNTS_HINT})."
            )
            return False
        return True

    def admit_share_link(self, row, deserialized):
        if self.trust_accounts:
            return True
        link = deserialized.object
        slug = (
            Article.objects.using(self.using)
            .filter(pk=link.article_id)
            .values_list("slug", flat=True)
            .first()
        )
        self.skip(
            f"Skipped a share link to the article {slug!r}: a share link is a bearer secret "
            f"({TRUST_ACCOUNTS_HINT})."
        )
        return False

    def admit_notification_preference(self, row, deserialized):
        preference = deserialized.object
        if preference.user_id not in self.existing_user_ids:
            return True
        name = (
            User.objects.using(self.using)
            .filter(pk=preference.user_id)
            .values_list("username", flat=True)
            .first()
        )
        self.skip(f"Kept the notification preference of the existing account {name!r}.")
        return False

    def admit_annotation(self, row, deserialized):
        annotation = deserialized.object
        annotation.note_html = clean_html(annotation.note_html)
        return True

    def admit_claim(self, row, deserialized):
        """A claim's note HTML is sanitised again, like an annotation's; its keys are derived
        from its statement, never taken from the file (the search vector is rebuilt once
        every claim is in: `restore_document`)."""
        claim = deserialized.object
        claim.note_html = clean_html(claim.note_html)
        claim.statement_key = statement_key(claim.statement)
        claim.match_key = search_key(claim.statement)
        return True

    def admit_publication(self, row, deserialized):
        publication = deserialized.object
        self.file_pages[publication.pk] = _stored_page(publication)
        for annotations in (publication.annotations, (publication.public_json or {}).get(
            "annotations"
        )):
            _clean_frozen_notes(annotations)
        # Served as they are, so never taken from the file: rerender_publication fills them
        # from the frozen content once every row is in (see restore_document).
        for name in STORED_PAGE_FIELDS:
            model_field = Publication._meta.get_field(name)
            setattr(publication, name, model_field.get_default())
        return True

    def rerender_publications(self):
        """Render every restored publication from its frozen content; say which ones the
        file had stored differently.

        The API documents the file holds are kept only when they are the same JSON document
        as the re-rendered ones (same values, no duplicate keys) and differ in nothing but
        the order of keys, which PostgreSQL's jsonb does not keep: a restore then answers
        with the same bytes and ETags as the site it was exported from. Their gzip form and
        ETag are computed here, never taken from the file.
        """
        publications = Publication.objects.using(self.using).select_related("article")
        for publication in publications.order_by("pk"):
            rerender_publication(publication)
            file_page = self.file_pages.get(publication.pk, {})
            rendered = _stored_page(publication)
            mismatch = any(
                file_page.get(name) and file_page[name] != rendered[name]
                for name in ("body_html", "page_head_html", "page_main_html")
            )
            kept = []
            for name in ("api_detail_json", "api_item_json"):
                stored = file_page.get(name)
                if not stored or stored == rendered[name]:
                    continue
                if _same_json(stored, rendered[name]):
                    setattr(publication, name, stored)
                    kept.append(name)
                else:
                    mismatch = True
            if kept:
                detail = bytes(publication.api_detail_json)
                publication.api_detail_gzip = gzip_body(detail)
                publication.api_detail_etag = content_etag(detail)
                publication.save(update_fields=[*kept, "api_detail_gzip", "api_detail_etag"])
            if mismatch:
                self.skip(
                    f"Publication {publication.number} of {publication.article.slug!r}: the "
                    "file's stored page did not match its frozen content and was not used; "
                    "it was rendered again from that content."
                )


TRUST_ACCOUNTS_HINT = "restored only with --trust-accounts"
# The publication fields that are served as they are (articles.frozen), with their
# validators and checksums: rebuilt by rerender_publication, never read from a file.
STORED_PAGE_FIELDS = (
    "body_html", "page_head_html", "page_main_html", "page_head_deflate", "page_main_deflate",
    "page_checksums", "page_digest", "api_detail_json", "api_detail_gzip", "api_detail_etag",
    "api_item_json",
)
COMPARED_PAGE_FIELDS = ("body_html", "page_head_html", "page_main_html", "api_detail_json",
                        "api_item_json")


def _stored_page(publication):
    return {
        name: bytes(value) if isinstance(value, memoryview) else value
        for name in COMPARED_PAGE_FIELDS
        for value in [getattr(publication, name)]
    }


def _canonical_json(data):
    """Return the JSON document `data` (bytes) in one canonical text, or None when it is not
    strict JSON (duplicate keys, NaN, not UTF-8), which readers may take in different ways."""

    def unique_keys(pairs):
        keys = [key for key, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
        return dict(pairs)

    def refuse(constant):
        raise ValueError(constant)

    try:
        value = json.loads(
            bytes(data).decode("utf-8"), object_pairs_hook=unique_keys, parse_constant=refuse
        )
    except ValueError:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _same_json(stored, rendered):
    canonical = _canonical_json(stored)
    return canonical is not None and canonical == _canonical_json(rendered)


def _clean_frozen_notes(annotations):
    """Sanitise again the note HTML of frozen annotation dicts, in place."""
    for annotation in annotations if isinstance(annotations, list) else ():
        if isinstance(annotation, dict) and "note_html" in annotation:
            annotation["note_html"] = clean_html(annotation["note_html"])


def _key_text(value):
    """Return a natural key (a list) or an id from a row as text for a message."""
    if isinstance(value, list | tuple):
        return "/".join(str(part) for part in value)
    return str(value)


def _drop_many_to_many(deserialized, *names):
    """Leave the many-to-many fields `names` of a deserialized row unset (nothing is added)."""
    for name in names:
        deserialized.m2m_data.pop(name, None)
    deserialized.deferred_fields = {
        model_field: value
        for model_field, value in deserialized.deferred_fields.items()
        if model_field.name not in names
    }


def _row_for_restore(row, model):
    row = {key: row[key] for key in ("model", "pk", "fields") if key in row}
    if model in NATURAL_KEY_MODELS:
        # Accounts and groups are matched by name only, so no row can name an existing one
        # by its id.
        row.pop("pk", None)
    return row


def restore_document(document, *, trust_accounts=False, using=DEFAULT_DB_ALIAS):
    """Load an export into a database that holds no content yet; return a RestoreReport.

    Restoring never grants a right the database does not already give, whatever the file says:
    - an account or group that already exists (same user name, same group name) is left
      exactly as it is; rows of the file that name it (as author, actor…) point to it; a
      notification preference the file has for it is skipped;
    - new accounts are created without superuser or staff flags, direct permissions, group
      memberships or password hash (they get an unusable password), and groups this database
      does not have are not created, unless `trust_accounts`, which restores all of these for
      new accounts and groups (never for existing ones);
    - share links, bearer secrets whose token hashes the file supplies, are restored only
      with `trust_accounts`;
    - annotation and claim notes' HTML is sanitised again (`ketasite.sanitize`), a claim's
      statement and match keys are derived again from its statement and its search vector
      rebuilt, and every publication's
      body, page parts and API bytes are rendered again from its frozen content
      (`articles.publishing.rerender_publication`): no HTML or bytes from the file are served.
    Each refusal is one line of the report's `skipped`.

    Everything happens in one transaction: on any error nothing is kept. Models are loaded in
    dependency order with constraint checks deferred to the end (articles and revisions point
    at each other), then checked, and the primary-key sequences are moved past the restored ids.
    The public page cache is purged once the restore commits.
    """
    check_document(document)
    present = existing_content(using=using)
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
            admission = _Admission(trust_accounts=trust_accounts, using=using)
            for model in models_in_order:
                rows = [_row_for_restore(row, model) for row in document["models"][label_of(model)]]
                objects = serializers.deserialize(
                    "python", rows, using=using, handle_forward_references=True
                )
                for row, deserialized in zip(rows, objects, strict=True):
                    if not admission.admit(model, row, deserialized):
                        continue
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
            # The claims' full-text vectors (PostgreSQL) are derived, never in the file.
            store_match_vector(Claim.objects.using(using).all())
            admission.rerender_publications()
            _reset_sequences(connection, models_in_order)
            transaction.on_commit(purge_public_pages, using=using)
            # Suggestions are derived, never in the file: the worker spots the drafts again.
            spot_new_drafts_after_commit()
    except RestoreError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure is reported in one line
        text = str(error).strip()
        message = text.splitlines()[0] if text else type(error).__name__
        raise RestoreError(f"The export could not be restored, nothing was changed: {message}")
    return RestoreReport(counts=dict(loaded), skipped=admission.skipped)


def _reset_sequences(connection, models):
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
