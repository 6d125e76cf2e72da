"""Spotting imported drafts in the background, right after the import commits.

The importer calls `spot_new_drafts_after_commit()` in its transaction (and so does a site
restore, `articles.backup`, whose drafts come without their derived suggestions). Once the
import commits, a "spotting" job for new drafts is queued (the job kind is
`jobs.kinds.run_spotting`) unless one is already waiting in the queue: that one has not
started, so it will see this import's draft too. The job spots every draft of an article
that is not archived and that nobody has spotted yet, so a bulk import of a thousand files
queues one job, not a thousand, and the import itself pays one small query per file. A
worker then spots the drafts, so their suggestions are waiting when an editor opens the
annotator.

Reading the suggestions still spots a draft nobody has spotted yet
(`suggestions.ensure_spotted`): the first read is the fallback when no worker runs.

Kept out of `jobs.kinds`, which imports the importer.
"""

import logging

from django.conf import settings
from django.db import transaction

from jobs.models import Job
from jobs.services import start_job

logger = logging.getLogger("ketasite.jobs")

# The params of the job that spots new drafts (those with no SpottedRevision); the re-run
# over all drafts after the spotter changed has none.
NEW_DRAFTS_PARAMS = {"new_drafts": True}


def spot_new_drafts_after_commit() -> None:
    """Make sure, once the caller's transaction commits, that a job will spot the new drafts.

    Does nothing when KETASITE_SPOT_ON_IMPORT is off (drafts are then spotted on their first
    read). A rolled-back import (or restore) queues nothing.
    """
    if settings.KETASITE_SPOT_ON_IMPORT:
        transaction.on_commit(queue_new_draft_spotting)


def queue_new_draft_spotting() -> Job | None:
    """Start a job that spots every draft nobody has spotted, unless one is queued already;
    return the job started, or None.

    Called after the import committed: a job still queued has not read the drafts yet, so it
    will find this one. Two importers at once may each start one; the second then finds the
    drafts spotted (`ensure_spotted` spots each draft once). A failure is logged, never raised
    into the import that already committed: the draft is then spotted on its first read.
    """
    try:
        waiting = Job.objects.filter(kind="spotting", state=Job.State.QUEUED,
                                     params=NEW_DRAFTS_PARAMS)
        if waiting.exists():
            return None
        return start_job(kind="spotting", title="Spot claims in new drafts",
                         params=dict(NEW_DRAFTS_PARAMS))
    except Exception:
        logger.exception("the spotting of new drafts could not be queued")
        return None
