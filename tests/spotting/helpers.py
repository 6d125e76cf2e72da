"""An article imported through the real importer, so the spotter has run on it."""

from articles.importing import import_bytes

CLAIM = "Ketamine can raise blood pressure for about an hour after a dose."
SECOND_CLAIM = "Esketamine was approved by the FDA in 2019 for treatment-resistant depression."
NOT_A_CLAIM = "Talk to your doctor before you change any medicine."


def document(*, extra=""):
    return (
        "Ketamine in the clinic\n\n"
        "What to expect\n\n"
        f"{CLAIM} {NOT_A_CLAIM}\n\n"
        f"{SECOND_CLAIM}{(' ' + extra) if extra else ''}\n"
    ).encode()


def import_article(*, extra="", filename="ketamine-clinic.txt", actor=None):
    outcome = import_bytes(document(extra=extra), filename=filename, actor=actor)
    assert not outcome.failed, outcome.error
    return outcome
