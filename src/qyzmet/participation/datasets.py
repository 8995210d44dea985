"""This app's open datasets: importing this module registers them (qyzmet.core.open_datasets).

`legal-acts-public-comment`: one row per draft act published for comment — the agency, the
dates, the number of versions and of comments received, published, refused and answered. The
acts are public and a count of comments on one says nothing about a person, so the counts are
not suppressed; no comment text is in the dataset (the published ones are on the site, the
refused ones are never published)."""

from __future__ import annotations

from qyzmet.core.open_datasets import Publisher, register


def _rows():
    from . import selectors  # the models are ready by the time the rows are asked for

    return selectors.dataset_rows()


SCHEMA = {
    "fields": [
        {"name": "act_id", "type": "integer", "title": "Act",
         "description": "The act's number on /legal-acts/<act_id>/"},
        {"name": "organisation", "type": "string", "title": "Agency (code)"},
        {"name": "kind", "type": "string", "title": "Type of act",
         "constraints": {"enum": ["law", "code", "decree", "order", "resolution"]}},
        {"name": "status", "type": "string", "title": "Status",
         "constraints": {"enum": ["open", "summary_due", "concluded"]}},
        {"name": "opened_on", "type": "date", "title": "Published for comment on"},
        {"name": "closes_on", "type": "date", "title": "Last day for comments"},
        {"name": "comment_days", "type": "integer", "title": "Comment period, days"},
        {"name": "summary_published_on", "type": "date", "title": "Summary published on"},
        {"name": "versions", "type": "integer", "title": "Versions of the text"},
        {"name": "comments_received", "type": "integer", "title": "Comments received"},
        {"name": "comments_accepted", "type": "integer", "title": "Comments published"},
        {"name": "comments_rejected", "type": "integer", "title": "Comments refused"},
        {"name": "comments_answered", "type": "integer", "title": "Comments answered"},
    ],
    "primaryKey": ["act_id"],
}

register(
    Publisher(
        name="legal-acts-public-comment",
        organisation="",
        title={
            "kk": "Нормативтік құқықтық актілер жобаларын жария талқылау",
            "ru": "Публичное обсуждение проектов нормативных правовых актов",
            "en": "Public comment on draft legal acts",
        },
        description={
            "kk": "Талқылауға шығарылған әр жоба бойынша: мемлекеттік орган, мерзімдер, "
                  "нұсқалар саны, түскен, жарияланған, қабылданбаған және жауап берілген "
                  "пікірлер саны.",
            "ru": "По каждому проекту, вынесенному на обсуждение: государственный орган, сроки, "
                  "число редакций, поступивших, опубликованных, отклонённых комментариев и "
                  "комментариев с ответом.",
            "en": "Per draft act published for comment: the agency, the dates, the number of "
                  "versions and of comments received, published, refused and answered.",
        },
        schema=SCHEMA,
        rows=_rows,
        tags=("legal-acts", "participation", "consultations"),
        frequency="daily",
        theme="GOVE",
    )
)
