from django.core.management import call_command
from django_q.models import Schedule


def test_periodic_tasks_exist_after_migrate(db, settings):
    Schedule.objects.all().delete()
    settings.REFUND_RECONCILE_EVERY_MINUTES = 15
    call_command("migrate", verbosity=0)
    rows = dict(Schedule.objects.values_list("name", "func"))
    assert rows["reconcile-refunds"] == "returns_desk.payments.tasks.reconcile_refunds"
    assert rows["expire-store-credit"] == "returns_desk.payments.tasks.expire_store_credit"
    assert Schedule.objects.get(name="reconcile-refunds").minutes == 15
    call_command("migrate", verbosity=0)  # running it again updates, never duplicates
    assert Schedule.objects.filter(name="reconcile-refunds").count() == 1
