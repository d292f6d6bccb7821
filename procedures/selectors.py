from .models import Procedure, ProcedureVersion


def published_procedures():
    return Procedure.objects.filter(is_active=True, versions__state=ProcedureVersion.State.PUBLISHED).distinct()


def published_version(procedure):
    return procedure.versions.filter(state=ProcedureVersion.State.PUBLISHED).first()
