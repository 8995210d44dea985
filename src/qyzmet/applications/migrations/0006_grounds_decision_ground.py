"""The refusal ground's code on the application and on its history row (coded grounds)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0005_evidence_missing"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="decision_ground",
            field=models.CharField(blank=True, default="", max_length=60),
        ),
        migrations.AddField(
            model_name="applicationevent",
            name="ground",
            field=models.CharField(blank=True, default="", max_length=60),
        ),
    ]
