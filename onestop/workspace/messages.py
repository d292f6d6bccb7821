"""Messages of the desk and workspace services that live in dossiers/ and worklist/ (whose catalogue the lead
owns), listed here so that ``makemessages`` in this app picks them up for our Vietnamese catalogue."""
from django.utils.translation import gettext_noop

SERVICE_MESSAGES = [
    gettext_noop("Submitted at the desk"),
    gettext_noop("Only a receiver of this agency's one-stop desk can take in dossiers here."),
    gettext_noop("Enter the 12-digit citizen ID number (or a 9-digit old ID card)."),
    gettext_noop("Say who collected the result."),
    gettext_noop("This step is not the return of a result."),
    gettext_noop("Write the comment first."),
    gettext_noop("Only a leader of this agency can reassign its work."),
    gettext_noop("This official cannot do this step."),
    gettext_noop("Choose an official of this agency who holds the step's role."),
]
