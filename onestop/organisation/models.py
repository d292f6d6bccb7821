"""Agencies, the officials who work in them, the routing roles that BPMN lanes name, and citizens.

The hierarchy is data: a city with districts and wards (before 2025) and a province with only
communes (the two-tier local government since July 2025) are both a tree of ``Agency`` rows.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from onestop.core.text import fold


class Level(models.TextChoices):
    PROVINCE = "province", _("Province / city")
    DEPARTMENT = "department", _("Department")
    DISTRICT = "district", _("District")
    WARD = "ward", _("Ward")
    COMMUNE = "commune", _("Commune")


# Wards and communes are one tier (cấp xã): a procedure received "at ward level" is received by either.
COMMUNE_TIER = {Level.WARD, Level.COMMUNE}


def same_tier(level_a, level_b):
    return level_a == level_b or {level_a, level_b} <= COMMUNE_TIER


class Agency(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    # The agency identifier of the national catalogue (Decision 20/2020/QĐ-TTg), e.g. "H29.22.10".
    national_id = models.CharField(_("national identifier"), max_length=40, unique=True, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def identifier(self):
        """What dossier codes start with: the national identifier, or our own code."""
        return self.national_id or self.code.upper()

    def lineage(self):
        """This agency, then its parent, up to the root."""
        agency, seen = self, set()
        while agency is not None and agency.pk not in seen:
            seen.add(agency.pk)
            yield agency
            agency = agency.parent

    def clean(self):
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An agency cannot be its own parent.")})


class OfficialRole(models.TextChoices):
    RECEIVER = "receiver", _("One-stop desk receiver")
    SPECIALIST = "specialist", _("Specialist")
    LEADER = "leader", _("Leader / approver")


class Membership(models.Model):
    """An official holds a role inside an agency; one person may hold several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=OfficialRole.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="uniq_membership")]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} – {self.agency}"


class RoutingRole(models.Model):
    """What a BPMN lane names: a kind of agency, resolved per dossier to a concrete agency.

    - ``receiving``: the agency whose desk received the dossier;
    - ``ancestor``: the receiving agency or its nearest ancestor whose level is one of ``levels``
      (tried in order, e.g. "district,province" also fits a province without districts);
    - ``fixed``: always ``agency`` (e.g. the city's Department of Construction).
    """

    class Strategy(models.TextChoices):
        RECEIVING = "receiving", _("The receiving agency")
        ANCESTOR = "ancestor", _("Receiving agency or its nearest ancestor of a level")
        FIXED = "fixed", _("A fixed agency")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices)
    levels = models.CharField(_("levels"), max_length=100, blank=True, help_text=_("Comma-separated, in order."))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("agency"))

    class Meta:
        verbose_name = _("routing role")
        verbose_name_plural = _("routing roles")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} [{self.code}]"

    @property
    def level_list(self):
        return [lv.strip() for lv in self.levels.split(",") if lv.strip()]

    def clean(self):
        if self.strategy == self.Strategy.FIXED and not self.agency_id:
            raise ValidationError({"agency": _("A fixed routing role needs an agency.")})
        if self.strategy == self.Strategy.ANCESTOR and not self.level_list:
            raise ValidationError({"levels": _("An ancestor routing role needs at least one level.")})


class Citizen(models.Model):
    """The applicant's profile. ``id_number`` is the 12-digit citizen identity number (CCCD)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="citizen")
    id_number = models.CharField(_("citizen ID number"), max_length=12, unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The name folded (``onestop.core.text.fold``: lower case, no diacritics) for searches that ignore them;
    # a trigram index on PostgreSQL (migration 0003). Kept by ``save``; bulk writers fill it themselves.
    search_name = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")

    def __str__(self):
        return f"{self.full_name} ({self.id_number})"

    def save(self, *args, **kwargs):
        self.search_name = fold(self.full_name)
        if kwargs.get("update_fields") is not None and "full_name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)
