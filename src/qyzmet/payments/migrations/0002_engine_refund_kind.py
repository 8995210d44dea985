"""The engine: a refund names the attempt whose money goes back and whether it returns (part of)
the fee or money paid a second time."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="kind",
            field=models.CharField(default="fee", max_length=10),
        ),
        migrations.AddField(
            model_name="refund",
            name="attempt",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refunds",
                to="payments.paymentattempt",
            ),
        ),
    ]
