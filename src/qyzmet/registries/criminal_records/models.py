"""The criminal records registry (Committee on Legal Statistics and Special Records): convictions
of persons, and whether they are expunged.

A separate data owner, and the most sensitive one: reading it may require the person's consent
(see `qyzmet.registries.consent`, an app of its own since issue 12; its tables, and the
schema-described registries' of `qyzmet.registries.govstack`, keep their `criminal_records_`
names from when they lived here).
"""

from __future__ import annotations

from django.db import models


class CriminalRecord(models.Model):
    record_number = models.CharField(max_length=20, unique=True)
    iin = models.CharField("IIN", max_length=12, db_index=True)
    article = models.CharField("article of the Criminal Code", max_length=30)
    article_title = models.CharField(max_length=200)
    verdict_date = models.DateField()
    court = models.CharField(max_length=200)
    sentence = models.CharField(max_length=200)
    expunged_on = models.DateField("conviction expunged on", null=True, blank=True)

    def __str__(self) -> str:
        return self.record_number
