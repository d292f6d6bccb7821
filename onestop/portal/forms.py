"""The portal's own forms. The applicant's form itself is drawn from the procedure (``onestop.web.schema_forms``)."""
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from onestop.dossiers.attachments import ACCEPT
from onestop.organisation.models import Citizen

id_number_validator = RegexValidator(r"^[0-9]{12}$", _("Enter the 12 digits of your citizen ID number."))
phone_validator = RegexValidator(r"^\+?[0-9 .]{9,15}$", _("Enter a phone number, for example 0901234567."))


class SignUpForm(UserCreationForm):
    full_name = forms.CharField(label=_("Full name"), max_length=200,
                                widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}))
    id_number = forms.CharField(label=_("Citizen ID number (CCCD)"), max_length=12, validators=[id_number_validator],
                                help_text=_("The 12 digits on your citizen identity card."),
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    phone = forms.CharField(label=_("Phone"), max_length=20, validators=[phone_validator],
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    email = forms.EmailField(label=_("Email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    # Forms 01 and 02 and the register print it: where the agency writes to the applicant.
    address = forms.CharField(label=_("Address"), max_length=300,
                              help_text=_("House number, street, ward or commune, province or city."),
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The cursor starts in the first field (full name), not in Django's username field; short help texts
        # of our own instead of Django's stock list.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["username"].help_text = _("You log in with it: letters, digits and @ . + - _ only.")
        self.fields["password1"].help_text = _("At least 8 characters, not a common password.")
        self.fields["password2"].help_text = ""

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        if Citizen.objects.filter(id_number=value).exists():
            raise forms.ValidationError(_("An account already uses this citizen ID number."))
        return value


def file_attrs():
    """What the browser needs to refuse a file that is too big before uploading it (portal.js)."""
    return {"accept": ACCEPT, "data-max-bytes": settings.ONESTOP_MAX_UPLOAD_BYTES,
            "data-too-big": _("“{name}” is {size} MB; a file may be at most {limit} MB.")}


class DocumentsForm(forms.Form):
    """One file input per document of the procedure (``doc_<index>``).

    The inputs are not "required" for Django: a file staged by an earlier post counts, which only the
    view knows; ``field.needed`` says whether the document must be there (the view checks it).
    """

    def __init__(self, documents, *args, staged=None, conditional=None, language="vi", **kwargs):
        super().__init__(*args, **kwargs)
        staged = staged or {}
        conditional = conditional or (lambda document: False)
        self.documents = documents
        for index, document in enumerate(documents):
            name = document.get("name", "")
            if language == "en" and document.get("name_en"):  # the procedure's content language
                name = document["name_en"]
            field = forms.FileField(label=name, required=False, widget=forms.FileInput(attrs=file_attrs()))
            field.document, field.index, field.staged = document, index, staged.get(index)
            field.needed = not conditional(document)
            self.fields[f"doc_{index}"] = field

    def document_fields(self):
        return [self[f"doc_{index}"] for index in range(len(self.documents))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs=file_attrs()))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class SupplementForm(forms.Form):
    files = MultipleFileField(label=_("Documents to add"), required=False,
                              help_text=_("PDF, JPEG or PNG; you can choose several files."))
    comment = forms.CharField(label=_("Message to the agency"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why do you withdraw the dossier?"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class RatingForm(forms.Form):
    SCORES = [(5, _("5 – Very satisfied")), (4, _("4 – Satisfied")), (3, _("3 – Acceptable")),
              (2, _("2 – Unsatisfied")), (1, _("1 – Very unsatisfied"))]
    score = forms.TypedChoiceField(label=_("Your rating"), choices=SCORES, coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class LookupForm(forms.Form):
    code = forms.CharField(label=_("Dossier code"), max_length=60,
                           help_text=_("As printed on your receipt, for example H29.22.10-261125-0001."),
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    id_digits = forms.CharField(label=_("Last 4 digits of the applicant's citizen ID number"), min_length=4,
                                max_length=4, validators=[RegexValidator(r"^[0-9]{4}$", _("Enter 4 digits."))],
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
