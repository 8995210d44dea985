"""Webhooks accepted fast, applied in batches: the inbox row keeps the verified status (so a
worker applies it without the request's headers), the attempt it was applied to (the finance
desk's notices of a payment), and its failed tries with the time it may be claimed again."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_engine_refund_kind")]

    operations = [
        migrations.AddField(
            model_name="providerwebhook",
            name="provider_ref",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.AddField(
            model_name="providerwebhook",
            name="outcome",
            field=models.CharField(blank=True, default="", max_length=20),
        ),
        migrations.AddField(
            model_name="providerwebhook",
            name="amount",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="providerwebhook",
            name="currency",
            field=models.CharField(blank=True, default="", max_length=3),
        ),
        migrations.AddField(
            model_name="providerwebhook",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="providerwebhook",
            name="failure_code",
            field=models.CharField(blank=True, default="", max_length=60),
        ),
        migrations.AddField(
            model_name="providerwebhook",
            name="attempt",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="webhooks",
                to="payments.paymentattempt",
            ),
        ),
        migrations.AddField(
            model_name="providerwebhook",
            name="tries",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="providerwebhook",
            name="retry_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
