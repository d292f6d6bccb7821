from .models import Procedure, ProcedureVersion


def published_procedures():
    return Procedure.objects.filter(is_active=True, versions__state=ProcedureVersion.State.PUBLISHED).distinct()


def published_version(procedure):
    """The version new dossiers start on. Its BPMN text and validation report are read only when used (every
    submission asks for the version; the engine keeps the parsed spec by checksum)."""
    return procedure.versions.filter(state=ProcedureVersion.State.PUBLISHED).defer("bpmn_xml", "report").first()
