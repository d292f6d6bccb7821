from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.engine.parsing import MAX_BPMN_BYTES


class UploadForm(forms.Form):
    code = forms.CharField(label=_("Procedure code"), max_length=30,
                           help_text=_("The national code, e.g. 1.001193. A new code creates the procedure."))
    bpmn_file = forms.FileField(label=_("BPMN file"), help_text=_("A .bpmn file from Camunda Modeler, bpmn.io or "
                                                                   "SpiffArena, 5 MB at most."))

    catalogue_file = forms.FileField(label=_("Catalogue file"), required=False, help_text=_(
        "Optional: NAME.catalogue.json, the catalogue entry (docs/bpmn-conventions.md)."))
    form_file = forms.FileField(label=_("Form file"), required=False, help_text=_(
        "Optional: the applicant's form, a Camunda Forms .form file or a JSON Schema."))

    def clean_bpmn_file(self):
        upload = self.cleaned_data["bpmn_file"]
        if upload.size > MAX_BPMN_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
