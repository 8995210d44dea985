"""The DCAT-AP catalogue: both serialisations parse back to the same graph, and the graph
conforms to the official DCAT-AP 3.0.1 SHACL shapes (tests/opendata/shapes/README.md) — and
does not once a mandatory property is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF

from qyzmet.opendata.dcat import SPDX
from tests.identity.factories import OrganisationFactory
from tests.opendata.factories import dataset_make

pytestmark = pytest.mark.django_db
SHAPES = Path(__file__).parent / "shapes"
EU = "http://publications.europa.eu/resource/authority/"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = Graph()
    graph.parse(SHAPES / "dcat-ap-3.0.1-SHACL.ttl", format="turtle")
    return graph


@pytest.fixture
def catalogue():
    OrganisationFactory(
        code="mz-health",
        name_en="Ministry of Health",
        name_ru="Министерство здравоохранения",
        name_kk="Денсаулық сақтау министрлігі",
    )
    dataset_make()
    dataset_make(
        "clinic-waiting-times",
        organisation="mz-health",
        origin="agency",
        tags=("health",),
        theme="HEAL",
        frequency="monthly",
    )


def _graph(fmt: str) -> Graph:
    url = {"ttl": "/open-data/catalog.ttl", "jsonld": "/open-data/catalog.jsonld"}[fmt]
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        {"ttl": "text/turtle", "jsonld": "application/ld+json"}[fmt]
    )
    assert "public" in response["Cache-Control"]
    return Graph().parse(data=response.content, format={"ttl": "turtle", "jsonld": "json-ld"}[fmt])


def _conforms(graph: Graph, shapes: Graph) -> tuple[bool, str]:
    conforms, _report, text = validate(
        graph, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    return conforms, text


def test_both_serialisations_are_the_same_graph(catalogue):
    turtle, jsonld = _graph("ttl"), _graph("jsonld")
    assert len(turtle) > 50
    assert isomorphic(turtle, jsonld)


def test_catalogue_content(catalogue):
    graph = _graph("ttl")
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert Literal("Qyzmet open data catalogue", lang="en") in set(
        graph.objects(catalog, DCTERMS.title)
    )
    datasets = list(graph.objects(catalog, DCAT.dataset))
    assert len(datasets) == 2
    clinic = URIRef("http://testserver/open-data/clinic-waiting-times/#dataset")
    assert {t.language for t in graph.objects(clinic, DCTERMS.title)} == {"kk", "ru", "en"}
    assert (clinic, DCAT.theme, URIRef(EU + "data-theme/HEAL")) in graph
    assert (clinic, DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/MONTHLY")) in graph
    publisher = graph.value(clinic, DCTERMS.publisher)
    assert Literal("Министерство здравоохранения", lang="ru") in set(
        graph.objects(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))
    )
    distributions = list(graph.objects(clinic, DCAT.distribution))
    assert len(distributions) == 2
    for dist in distributions:
        url = str(graph.value(dist, DCAT.downloadURL))
        body = Client().get(url.removeprefix("http://testserver")).content
        assert graph.value(dist, DCAT.byteSize).toPython() == len(body)
        import hashlib

        checksum = graph.value(dist, SPDX.checksum)
        assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()


def test_conforms_to_the_dcat_ap_shapes(catalogue, shapes):
    conforms, text = _conforms(_graph("ttl"), shapes)
    assert conforms, text
    conforms, text = _conforms(_graph("jsonld"), shapes)
    assert conforms, text


def test_a_broken_catalogue_does_not_conform(catalogue, shapes):
    graph = _graph("ttl")
    clinic = URIRef("http://testserver/open-data/clinic-waiting-times/#dataset")
    graph.remove((clinic, DCTERMS.title, None))  # a dataset without a title
    conforms, text = _conforms(graph, shapes)
    assert not conforms
    assert "title" in text

    graph = _graph("ttl")
    dist = next(graph.objects(clinic, DCAT.distribution))
    graph.remove((dist, DCAT.accessURL, None))  # a distribution without its access URL
    assert not _conforms(graph, shapes)[0]


def test_an_empty_catalogue_is_still_valid(shapes):
    conforms, text = _conforms(_graph("ttl"), shapes)
    assert conforms, text
