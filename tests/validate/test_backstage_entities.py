"""Backstage catalog entities and OpenAPI documents in a tree are checked, not waved through.

The entities are written as Backstage's descriptor-format documentation writes them
(https://backstage.io/docs/features/software-catalog/descriptor-format), the OpenAPI
document is the OpenAPI Initiative's petstore example.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.validate.run import ValidationReport, validate_directory

LOCATION = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: platform-apis
spec:
  targets:
    - ./apis/petstore.yaml
    - ./groups/pet-team.yaml
"""
API = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: petstore
  description: The petstore API
spec:
  type: openapi
  lifecycle: production
  owner: pet-team
  definition:
    $text: ./petstore.openapi.yaml
"""
GROUP = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: pet-team
spec:
  type: team
  children: []
"""
PETSTORE = """\
openapi: "3.0.0"
info:
  version: 1.0.0
  title: Swagger Petstore
  license:
    name: MIT
servers:
  - url: http://petstore.swagger.io/v1
paths:
  /pets:
    get:
      summary: List all pets
      operationId: listPets
      responses:
        '200':
          description: A paged array of pets
"""


def tree(root: Path, changed: dict[str, str] | None = None) -> Path:
    """A catalog folder as an API catalog lays it out; ``changed`` adds or replaces files."""
    files = {
        "catalog/catalog-info.yaml": LOCATION,
        "catalog/apis/petstore.yaml": API,
        "catalog/apis/petstore.openapi.yaml": PETSTORE,
        "catalog/groups/pet-team.yaml": GROUP,
        **(changed or {}),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def errors(report: ValidationReport) -> list[tuple[str, str, int, str]]:
    return [
        (f.check, Path(f.location.file).name, f.location.line, f.message) for f in report.errors
    ]


def test_a_catalog_written_as_the_backstage_docs_write_it_is_valid(tmp_path: Path) -> None:
    report = validate_directory(tree(tmp_path))
    assert report.errors == []
    assert report.unchecked == []
    assert (report.objects, report.checked) == (3, 3)  # the OpenAPI file is not an object


def test_an_api_entity_without_a_definition_is_refused(tmp_path: Path) -> None:
    api = API.replace("  definition:\n    $text: ./petstore.openapi.yaml\n", "")
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.yaml": api}))
    assert errors(report) == [
        (
            "backstage",
            "petstore.yaml",
            7,
            "API petstore at spec.definition: required field is missing",
        )
    ]


def test_an_api_entity_with_a_misspelt_field_is_refused(tmp_path: Path) -> None:
    api = API.replace("lifecycle: production", "lifecylce: production")
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.yaml": api}))
    assert [e[3] for e in errors(report)] == [
        "API petstore at spec.lifecycle: required field is missing"
    ]


def test_an_entity_kind_that_does_not_match_its_schema_is_refused(tmp_path: Path) -> None:
    group = GROUP.replace("  children: []\n", "")
    report = validate_directory(tree(tmp_path, {"catalog/groups/pet-team.yaml": group}))
    assert [e[3] for e in errors(report)] == [
        "Group pet-team at spec.children: required field is missing"
    ]


def test_an_entity_envelope_with_an_unknown_top_level_field_is_refused(tmp_path: Path) -> None:
    group = GROUP + "specs: {}\n"
    report = validate_directory(tree(tmp_path, {"catalog/groups/pet-team.yaml": group}))
    assert [e[3] for e in errors(report)] == [
        "Group pet-team at specs: unknown field (did you mean 'spec'?)"
    ]


def test_a_definition_naming_a_missing_file_is_refused(tmp_path: Path) -> None:
    api = API.replace("./petstore.openapi.yaml", "./orders.openapi.yaml")
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.yaml": api}))
    assert errors(report) == [
        (
            "backstage",
            "petstore.yaml",
            11,
            "API petstore at spec.definition: $text './orders.openapi.yaml': "
            "not a file of the tree",
        )
    ]


def test_a_definition_leaving_the_tree_is_refused(tmp_path: Path) -> None:
    api = API.replace("./petstore.openapi.yaml", "../../../etc/passwd")
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.yaml": api}))
    assert [e[3] for e in errors(report)] == [
        "API petstore at spec.definition: $text '../../../etc/passwd': outside the tree"
    ]


def test_an_openapi_api_whose_definition_is_not_openapi_is_refused(tmp_path: Path) -> None:
    report = validate_directory(
        tree(tmp_path, {"catalog/apis/petstore.openapi.yaml": "title: not an API\n"})
    )
    assert [e[3] for e in errors(report)] == [
        "API petstore at spec.definition: ./petstore.openapi.yaml is not an OpenAPI "
        "document (no 'openapi' version and 'info')"
    ]


def test_an_invalid_openapi_document_is_located_in_its_own_file(tmp_path: Path) -> None:
    broken = PETSTORE.replace("  title: Swagger Petstore\n", "")
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.openapi.yaml": broken}))
    assert errors(report) == [
        (
            "openapi",
            "petstore.openapi.yaml",
            3,
            "OpenAPI document at info: 'title' is a required property",
        )
    ]


def test_an_operation_without_responses_is_refused(tmp_path: Path) -> None:
    broken = PETSTORE.split("      responses:")[0]
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.openapi.yaml": broken}))
    (error,) = report.errors
    assert error.check == "openapi" and error.location.line == 12
    assert "'responses' is a required property" in error.message


def test_a_reference_outside_the_document_is_reported_not_fetched(tmp_path: Path) -> None:
    remote = PETSTORE.replace(
        "          description: A paged array of pets\n",
        "          $ref: https://attacker.example/response.yaml\n",
    )
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.openapi.yaml": remote}))
    (error,) = report.errors
    assert error.check == "openapi"
    assert error.message == (
        'OpenAPI document at paths["/pets"].get.responses.200["$ref"]: '
        "$ref 'https://attacker.example/response.yaml' points outside the document"
    )
    assert error.location.line == 16


def test_an_inline_definition_is_checked_as_openapi(tmp_path: Path) -> None:
    inline = "  definition: |\n" + "".join(
        f"    {line}\n" for line in PETSTORE.replace("  title: Swagger Petstore\n", "").split("\n")
    )
    api = API.replace("  definition:\n    $text: ./petstore.openapi.yaml\n", inline)
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.yaml": api}))
    assert [e[3] for e in errors(report)] == [
        "API petstore at spec.definition: info: 'title' is a required property"
    ]


def test_an_openapi_document_in_an_object_folder_is_not_called_a_bad_object(
    tmp_path: Path,
) -> None:
    report = validate_directory(tree(tmp_path, {"apps/docs/petstore.yaml": PETSTORE}))
    assert report.errors == []


def test_a_backstage_kind_without_a_schema_is_listed_as_not_checked(tmp_path: Path) -> None:
    template = (
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\n"
        "metadata:\n  name: new-service\nspec:\n  type: service\n"
    )
    report = validate_directory(tree(tmp_path, {"catalog/templates/new.yaml": template}))
    assert report.errors == []
    (gap,) = report.unchecked
    assert gap.message.startswith(
        "Template new-service: not checked, no Backstage schema for "
        "scaffolder.backstage.io/v1beta3/Template in the reference data"
    )


def test_a_swagger_2_document_is_refused_as_the_spec_refuses_it(tmp_path: Path) -> None:
    swagger = 'swagger: "2.0"\ninfo: {title: Petstore, version: 1.0.0}\npaths: {}\n'
    report = validate_directory(tree(tmp_path, {"catalog/apis/petstore.openapi.yaml": swagger}))
    assert errors(report) == [
        (
            "openapi",
            "petstore.openapi.yaml",
            1,
            "OpenAPI document at swagger: OpenAPI version '2.0' is not one of 3.0, 3.1, 3.2",
        )
    ]
