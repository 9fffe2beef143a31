"""What the SDK fidelity scripts share: the model, a boto3 client for an
endpoint, and the checks on answers that the model implies."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.path.join(HERE, "..", "..", "docs", "reference", "cloudtrail-channel-model.json")
with open(MODEL_PATH, encoding="utf-8") as model_file:
    MODEL = json.load(model_file)
SHAPES = MODEL["shapes"]
OPERATIONS = MODEL["operations"]

# The operations `ctconform serve` serves (the contract's; not the tag ones).
SERVED = [
    "CreateChannel",
    "GetChannel",
    "ListChannels",
    "UpdateChannel",
    "DeleteChannel",
    "CreateEventDataStore",
    "GetEventDataStore",
    "ListEventDataStores",
    "StopEventDataStoreIngestion",
    "StartEventDataStoreIngestion",
    "DeleteEventDataStore",
]

# The local emulator's credentials: not secrets, it checks none.
ACCESS_KEY = "AKIDCTCONFORMLOCAL"
SECRET_KEY = "ctconform-local-secret"
REGION = "us-east-1"


def modelled_errors(operation):
    """The error codes the model lists for `operation`."""
    return {error["shape"] for error in OPERATIONS[operation].get("errors", [])}


def client(endpoint, validate=True):
    """A boto3 CloudTrail client for `endpoint`; `validate=False` sends what
    it is given, so the server decides."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "cloudtrail",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            parameter_validation=validate,
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def shape_problems(shape_name, value, path):
    """Members of `value` that its output shape does not have, or marks
    deprecated: what code written against the model must never read."""
    shape = SHAPES[shape_name]
    problems = []
    if shape["type"] == "structure":
        if not isinstance(value, dict):
            return [f"{path} is not an object"]
        for key, member_value in value.items():
            if key == "ResponseMetadata" and path == "":
                continue
            member = shape["members"].get(key)
            where = f"{path}.{key}" if path else key
            if member is None:
                problems.append(f"{where} is not a member of {shape_name}")
            elif member.get("deprecated"):
                problems.append(f"{where} is deprecated in {shape_name}: {member.get('deprecatedMessage', 'no longer returned')}")
            else:
                problems += shape_problems(member["shape"], member_value, where)
    elif shape["type"] == "list":
        for index, item in enumerate(value):
            problems += shape_problems(shape["member"]["shape"], item, f"{path}[{index}]")
    return problems


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)
