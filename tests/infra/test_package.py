"""The packaged prod template and Lambda zip (what `make package` builds): valid
CloudFormation (cfn-lint, zero errors), tables from the one definition, the API at
the root of its custom domain, runtime requirements only in the zip."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile

from chalicelib.storage.dynamodb.tables import TABLES
from infra import runtime
from infra.policy import ACTIONS, static_policy

from .conftest import BIN, ROOT


def test_packaging_finds_every_runtime_requirement(packaged):
    _, output = packaged
    assert "missing dependencies" not in output.lower(), output


def test_the_zip_holds_the_app_and_runtime_requirements_only(packaged):
    names = zipfile.ZipFile(packaged[0] / "deployment.zip").namelist()
    assert "app.py" in names and "chalicelib/storage/dynamodb/tables.py" in names
    assert "chalicelib/openapi.yaml" in names                    # served at /openapi.yaml
    assert any("_re2." in n for n in names)                      # the regex engine the app imports
    assert "chalicelib/puppetdb/dialects/pql.lark" in names       # PQL's grammar, read at run time
    assert any(n.startswith("lark/") for n in names)             # and its parser
    for dev_only in ("moto/", "pytest", "sqlite_utils/", "hypothesis/", "boto3/", "botocore/", "tests/"):
        assert not any(n.startswith(dev_only) for n in names), dev_only
    print(f"Lambda zip: {(packaged[0] / 'deployment.zip').stat().st_size // 1024} KiB")


def test_the_function_runs_on_the_runtime_its_wheels_were_built_for(packaged):
    """The template's runtime is infra/runtime.py's, and the zip's compiled modules
    (the regex engine, the JSON encoder) are that CPython's manylinux builds, of a
    glibc no newer than Amazon Linux 2023's 2.34."""
    resources = json.loads((packaged[0] / "sam.json").read_text())["Resources"]
    assert resources["APIHandler"]["Properties"]["Runtime"] == runtime.NAME
    tag = "%d%d" % runtime.VERSION
    names = zipfile.ZipFile(packaged[0] / "deployment.zip").namelist()
    extensions = [n for n in names if n.endswith(".so")]
    assert any("_re2." in n for n in extensions) and any("orjson" in n for n in extensions)
    for name in extensions:
        assert f".cpython-{tag}-" in name or ".abi3." in name, name
    wheels = [n for n in names if n.endswith(".dist-info/WHEEL")]
    for wheel in wheels:
        text = zipfile.ZipFile(packaged[0] / "deployment.zip").read(wheel).decode()
        for python in re.findall(r"^Tag: (cp\d+)-", text, re.M):
            assert python == f"cp{tag}", (wheel, text)
        for platform in re.findall(r"manylinux_2_(\d+)_", text):
            assert int(platform) <= 34, (wheel, text)


def test_the_template_passes_cfn_lint_with_no_errors(packaged):
    result = subprocess.run([str(BIN / "cfn-lint"), str(packaged[0] / "sam.json")],
                            capture_output=True, text=True, timeout=300)
    errors = [line for line in result.stdout.splitlines() if line.startswith("E")]
    assert not errors, result.stdout
    assert result.returncode in (0, 4, 8, 12), result.stdout + result.stderr   # warnings/info only


def test_every_table_spec_is_a_protected_table(packaged):
    resources = json.loads((packaged[0] / "sam.json").read_text())["Resources"]
    tables = {r["Properties"]["TableName"]["Fn::Sub"]: r for r in resources.values()
              if r["Type"] == "AWS::DynamoDB::Table"}
    assert set(tables) == {"${TablePrefix}" + spec.name for spec in TABLES}
    for spec in TABLES:
        table = tables["${TablePrefix}" + spec.name]
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["DeletionProtectionEnabled"] is True and table["DeletionPolicy"] == "Retain"
        assert props["KeySchema"] == spec.create_arguments("")["KeySchema"]
        assert [i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])] == [i.name for i in spec.indexes]


def test_the_api_is_mapped_at_the_root_of_its_domain(packaged):
    resources = json.loads((packaged[0] / "sam.json").read_text())["Resources"]
    mapping = resources["ApiRootMapping"]["Properties"]
    assert "BasePath" not in mapping and mapping["Stage"] == "api"
    assert resources["ApiDomain"]["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_the_function_role_gets_the_table_policy(packaged):
    resources = json.loads((packaged[0] / "sam.json").read_text())["Resources"]
    (policy,) = resources["ApiHandlerRole"]["Properties"]["Policies"]
    statement = policy["PolicyDocument"]["Statement"][0]
    assert statement["Action"] == list(ACTIONS)
    assert not any("*" in a for a in statement["Action"])


def test_the_static_policy_file_is_generated_from_the_same_list():
    committed = json.loads((ROOT / ".chalice" / "policy-prod.json").read_text())
    assert committed == static_policy()


def test_concurrency_is_capped_unless_the_parameter_is_zero(packaged):
    template = json.loads((packaged[0] / "sam.json").read_text())
    assert template["Parameters"]["ReservedConcurrency"]["Default"] == 25
    limit = template["Resources"]["APIHandler"]["Properties"]["ReservedConcurrentExecutions"]
    assert limit == {"Fn::If": ["HasConcurrencyLimit", {"Ref": "ReservedConcurrency"},
                                {"Ref": "AWS::NoValue"}]}
    assert template["Conditions"]["HasConcurrencyLimit"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, 0]}]}


def test_the_zipped_app_imports_with_the_zip_alone(packaged, tmp_path):
    """`import app` in a bare interpreter (-S: no site-packages) from the unpacked zip:
    every module the handlers import at load time is in the zip, and the DynamoDB
    adapter (botocore, which the runtime provides) is loaded only when a store is built,
    not at a cold start."""
    with zipfile.ZipFile(packaged[0] / "deployment.zip") as archive:
        archive.extractall(tmp_path)
    probe = ("import sys; sys.path.insert(0, '.'); import app; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))")
    result = subprocess.run([sys.executable, "-S", "-c", probe], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
