"""Users of the bench: a citizen who may start a registration and officials of one lane who may do its
three tasks, all with the password given."""
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the citizen and the officials of the bench."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True)
        parser.add_argument("--officials", type=int, default=3)

    def handle(self, *args, password, officials, **options):
        def permission(name):
            return Permission.objects.get(content_type__app_label="vfbench", codename=f"can_{name}_registration")

        citizens = Group.objects.create(name="citizens")
        citizens.permissions.add(permission("start"))
        lane = Group.objects.create(name="officials")
        lane.permissions.add(*(permission(task) for task in ("review", "approve", "sign")))
        User.objects.create_user("citizen", password=password).groups.add(citizens)
        for n in range(1, officials + 1):
            User.objects.create_user(f"official{n}", password=password).groups.add(lane)
