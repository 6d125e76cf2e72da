from django.db import models
from django.db.models import Q


class PublicGeneration(models.Model):
    """The generation of the public page cache: one row, whose token every purge replaces.

    A cached public page is stored with the token it was rendered under and served only while
    that token is current. The row, not the cache, is the truth, so a purge made by any
    process (a gunicorn worker, cron's `publish_scheduled`, a shell) reaches every process,
    whether the cache is Redis or each process's own memory; each process re-reads the row at
    most once a second (`pagecache.generation.public_generation`). A purge replaces the token in
    the transaction that changes what is public, so the two commit together.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="public_generation_single_row"),
        ]

    def __str__(self):
        return f"Public generation {self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
