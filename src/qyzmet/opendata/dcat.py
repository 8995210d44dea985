"""The DCAT-AP catalogue of the open datasets (https://semiceu.github.io/DCAT-AP/), built with
rdflib and served as JSON-LD and Turtle. Conforms to the DCAT-AP 3.0.1 SHACL shapes (tested):

* `dcat:Catalog` — titles and description in kk/ru/en, the operator as publisher, homepage,
  languages (EU language authority), licence and the newest modification;
* a `dcat:Dataset` per dataset — identifier, language-tagged titles and descriptions, keywords,
  the publishing agency (`foaf:Agent` with its names), a vCard contact point, theme (EU data
  theme), accrual periodicity (EU frequency), issued/modified as xsd:dateTime, landing page;
* a `dcat:Distribution` per file of its current version — access and download URLs, IANA media
  type, EU file type, licence, byte size and SPDX SHA-256 checksum.

Two queries whatever the size: the datasets, then their current resources (without bytes)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from .downloads import license_info, resource_path
from .models import Dataset, Resource

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
LANGUAGES = {"kk": "KAZ", "ru": "RUS", "en": "ENG"}
FREQUENCIES = {
    "continuous": "CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "annual": "ANNUAL",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
    "never": "NEVER",
}
# The EU data-theme vocabulary's codes and English labels.
THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "OP_DATPRO": "Provisional data",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
CATALOG_TITLE = {
    "kk": "Qyzmet ашық деректер каталогы",
    "ru": "Каталог открытых данных Qyzmet",
    "en": "Qyzmet open data catalogue",
}
CATALOG_DESCRIPTION = {
    "kk": "Мемлекеттік қызметтер платформасы мен мемлекеттік органдар жариялаған ашық деректер.",
    "ru": "Открытые данные, опубликованные платформой госуслуг и государственными органами.",
    "en": "Open data published by the public services platform and government agencies.",
}
OPERATOR_NAMES = {
    "kk": "«Qyzmet» платформасының операторы",
    "ru": "Оператор платформы «Qyzmet»",
    "en": "Qyzmet platform operator",
}
CONTENT_TYPES = {"ttl": "text/turtle; charset=utf-8", "jsonld": "application/ld+json"}
CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "spdx": str(SPDX),
    "skos": str(SKOS),
    "xsd": str(XSD),
}


def _texts(graph: Graph, subject: Any, predicate: URIRef, texts: dict[str, str]) -> None:
    for lang in LANGUAGES:
        if texts.get(lang):
            graph.add((subject, predicate, Literal(texts[lang], lang=lang)))


def _concept(graph: Graph, uri: str, kind: URIRef) -> URIRef:
    node = URIRef(uri)
    graph.add((node, RDF.type, kind))
    return node


def _licence(graph: Graph, license_id: str) -> URIRef:
    info = license_info(license_id)
    node = URIRef(info["path"] or f"https://spdx.org/licenses/{license_id}")
    graph.add((node, RDF.type, DCTERMS.LicenseDocument))
    return node


def _agent(graph: Graph, root: str, code: str, names: dict[str, str]) -> URIRef:
    node = URIRef(f"{root}/api/3/action/organization_show?id={code or 'qyzmet'}")
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    _texts(graph, node, FOAF.name, names)
    return node


def catalog_graph(*, base_url: str) -> Graph:
    """The whole catalogue as an RDF graph; `base_url` is the site root ending in '/'."""
    root = base_url.rstrip("/")
    graph = Graph()
    for prefix, uri in CONTEXT.items():
        graph.bind(prefix, Namespace(uri))
    home = URIRef(f"{root}/open-data/")
    catalog = URIRef(f"{root}{reverse('opendata-dcat-ttl').removesuffix('.ttl')}")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    _texts(graph, catalog, DCTERMS.title, CATALOG_TITLE)
    _texts(graph, catalog, DCTERMS.description, CATALOG_DESCRIPTION)
    graph.add((catalog, DCTERMS.publisher, _agent(graph, root, "", OPERATOR_NAMES)))
    graph.add((catalog, FOAF.homepage, home))
    graph.add((home, RDF.type, FOAF.Document))
    for code in LANGUAGES.values():
        graph.add(
            (
                catalog,
                DCTERMS.language,
                _concept(graph, f"{EU}language/{code}", DCTERMS.LinguisticSystem),
            )
        )
    graph.add((catalog, DCTERMS.license, _licence(graph, "CC-BY-4.0")))

    datasets = list(Dataset.objects.order_by("name"))
    resources: dict[Any, list[Resource]] = {}
    for res in (
        Resource.objects.filter(version__current=True)
        .select_related("version")
        .defer("content")
        .order_by("format")
    ):
        resources.setdefault(res.version.dataset_id, []).append(res)
    modified = max((d.modified for d in datasets), default=None)
    if modified is not None:
        graph.add((catalog, DCTERMS.modified, Literal(modified, datatype=XSD.dateTime)))
    for dataset in datasets:
        graph.add(
            (catalog, DCAT.dataset, _dataset(graph, root, dataset, resources.get(dataset.id, [])))
        )
    return graph


def _dataset(graph: Graph, root: str, dataset: Dataset, resources: list[Resource]) -> URIRef:
    page = URIRef(f"{root}/open-data/{dataset.name}/")
    node = URIRef(f"{root}/open-data/{dataset.name}/#dataset")
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.id))))
    _texts(graph, node, DCTERMS.title, dataset.title)
    _texts(graph, node, DCTERMS.description, dataset.description)
    for tag in dataset.tags:
        graph.add((node, DCAT.keyword, Literal(tag)))
    names = getattr(dataset, "publisher_name", None) or (
        OPERATOR_NAMES if not dataset.organisation else {"en": dataset.organisation}
    )
    graph.add((node, DCTERMS.publisher, _agent(graph, root, dataset.organisation, names)))
    contact = BNode()
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, RDF.type, VCARD.Organization))
    _texts(graph, contact, VCARD.fn, names)
    graph.add((contact, VCARD.hasURL, page))
    graph.add((node, DCAT.contactPoint, contact))
    theme = dataset.theme if dataset.theme in THEMES else "GOVE"
    concept = _concept(graph, f"{EU}data-theme/{theme}", SKOS.Concept)
    graph.add((concept, SKOS.prefLabel, Literal(THEMES[theme], lang="en")))
    graph.add((node, DCAT.theme, concept))
    frequency = FREQUENCIES.get(dataset.frequency.lower(), "UNKNOWN")
    graph.add(
        (
            node,
            DCTERMS.accrualPeriodicity,
            _concept(graph, f"{EU}frequency/{frequency}", DCTERMS.Frequency),
        )
    )
    graph.add((node, DCTERMS.issued, Literal(dataset.created, datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.modified, Literal(dataset.modified, datatype=XSD.dateTime)))
    graph.add((node, DCAT.landingPage, page))
    graph.add((page, RDF.type, FOAF.Document))
    licence = _licence(graph, dataset.license_id)
    for res in resources:
        graph.add(
            (node, DCAT.distribution, _distribution(graph, root, dataset, res, page, licence))
        )
    return node


def _distribution(
    graph: Graph, root: str, dataset: Dataset, res: Resource, page: URIRef, licence: URIRef
) -> URIRef:
    fmt = res.format.lower()
    download = URIRef(root + resource_path(name=dataset.name, number=res.version.number, fmt=fmt))
    node = URIRef(f"{root}/api/3/action/resource_show?id={res.id}")
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCAT.accessURL, page))
    graph.add((node, DCAT.downloadURL, download))
    graph.add(
        (node, DCTERMS.title, Literal(f"{dataset.name} v{res.version.number} ({res.format})"))
    )
    media = res.media_type.split(";")[0] or "application/octet-stream"
    graph.add((node, DCAT.mediaType, _concept(graph, IANA + media, DCTERMS.MediaType)))
    graph.add(
        (
            node,
            DCTERMS.format,
            _concept(graph, f"{EU}file-type/{res.format}", DCTERMS.MediaTypeOrExtent),
        )
    )
    graph.add((node, DCTERMS.license, licence))
    graph.add((node, DCTERMS.issued, Literal(res.created, datatype=XSD.dateTime)))
    graph.add((node, DCAT.byteSize, Literal(res.size, datatype=XSD.nonNegativeInteger)))
    checksum = BNode()
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    graph.add((checksum, SPDX.checksumValue, Literal(res.sha256, datatype=XSD.hexBinary)))
    graph.add((node, SPDX.checksum, checksum))
    return node


def catalog_serialised(*, fmt: str, base_url: str) -> tuple[bytes, str]:
    """(bytes, content type) of the catalogue in `fmt`: "ttl" (Turtle) or "jsonld"."""
    graph = catalog_graph(base_url=base_url)
    if fmt == "jsonld":
        body = graph.serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    else:
        body = graph.serialize(format="turtle")
    return body.encode("utf-8"), CONTENT_TYPES[fmt]
