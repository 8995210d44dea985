"""The fee quoted for an application, the payment asked for it and when it was paid (the
awaiting-payment step)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0006_grounds_decision_ground"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="fee",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="application",
            name="payment_public_id",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="application",
            name="paid_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
