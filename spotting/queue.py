"""Spotting an imported draft in the background, right after the import commits.

The importer calls `spot_after_import(article)` in its transaction: it starts a "spotting"
job for that one article (the job kind is `jobs.kinds.run_spotting`), and the job's task is
handed to the task backend when the import commits, so a rolled-back import spots nothing and
the import itself pays only for two rows (the job and its task). A worker then spots the
draft, so its suggestions are waiting when an editor opens the annotator. Reading the
suggestions still spots a draft nobody has spotted yet (`suggestions.ensure_spotted`): the
first read is the fallback when no worker runs, and an edit's new revision is spotted then.

Kept out of `jobs.kinds`, which imports the importer.
"""

from django.conf import settings

from jobs.models import Job
from jobs.services import start_job

# The job's params: the articles whose drafts it spots, and whether a draft that was already
# spotted (by a first read) is left as it is (True here) or spotted again (the re-run over all
# drafts after the spotter changed).
ARTICLES_PARAM = "articles"
NEW_ONLY_PARAM = "new_only"


def spot_after_import(article) -> Job | None:
    """Queue the spotting of `article`'s draft for when the caller's transaction commits.

    Returns the job, or None when KETASITE_SPOT_ON_IMPORT is off (drafts are then spotted on
    their first read).
    """
    if not settings.KETASITE_SPOT_ON_IMPORT or article.draft_id is None:
        return None
    return start_job(
        kind="spotting", title=f"Spot claims in “{str(article)[:150]}”",
        params={ARTICLES_PARAM: [article.pk], NEW_ONLY_PARAM: True},
    )
